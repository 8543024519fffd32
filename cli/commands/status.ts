// `haup status`: Show, per pair and node, the agent state and who holds each VIP.
import type { CommandModule } from 'yargs';
import type { StatusArgs } from '../status/status.js';

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status <inventory>',
  describe: 'Show, per pair and node, the agent state and who holds each VIP',
  builder: (y) =>
    y
      .positional('inventory', { type: 'string', demandOption: true, describe: 'inventory YAML file' })
      .option('limit', { type: 'string', array: true, describe: 'only these pairs or hosts (names or addresses, comma-separated)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON (stable fields) instead of a table' })
      .option('known-hosts', { type: 'string', describe: 'known_hosts file for every host (default: each host\'s ssh.known_hosts)' })
      .option('trust-new-hosts', { type: 'boolean', default: false, describe: 'accept and record unknown SSH host keys (a changed key is still refused)' })
      .example('$0 status inventories/lab.yml', 'who holds each VIP; exit 1 on split brain, no holder or a stopped agent')
      .example('$0 status prod.yml --limit web --json', 'one pair, as JSON for scripts'),
  handler: async (argv) => {
    const { runStatus } = await import('../status/status.js');
    await runStatus(argv);
  },
};
