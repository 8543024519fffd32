// `haup render`: Render per-host files (keepalived.conf, check scripts, unit) from an inventory into a folder.
import type { CommandModule } from 'yargs';

export const renderCommand: CommandModule = {
  command: 'render <inventory>',
  describe: 'Render per-host files (keepalived.conf, check scripts, unit) from an inventory into a folder',
  builder: (y) => y.positional('inventory', { type: 'string', describe: 'inventory YAML file' }),
  handler: async () => {
    throw new Error('render: not implemented yet');
  },
};
