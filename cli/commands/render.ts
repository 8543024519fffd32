// `haup render`: Render per-host files (keepalived.conf, check scripts, unit) from an inventory into a folder.
import type { CommandModule } from 'yargs';
import type { RenderArgs } from '../render/command.js';

export const renderCommand: CommandModule<object, RenderArgs> = {
  command: 'render <inventory>',
  describe: 'Render per-host files (keepalived.conf, check scripts, unit) from an inventory into a folder',
  builder: (y) =>
    y
      .positional('inventory', { type: 'string', demandOption: true, describe: 'inventory YAML file' })
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'folder to write <host>/<path on the node> into' })
      .option('templates', { type: 'string', describe: 'folder of *.hbs templates overriding the built-in ones (default: the inventory\'s templates:)' })
      .example('$0 render inventories/example.yml --out /tmp/haup-render', 'write what deploy would push to each host')
      .example('$0 render prod.yml --out out --templates ./my-templates', 'use your own templates where they exist'),
  handler: async (argv) => {
    const { runRender } = await import('../render/command.js');
    await runRender(argv);
  },
};
