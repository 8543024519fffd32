// `haup status`: Show, per pair and node, the agent state and who holds each VIP.
import type { CommandModule } from 'yargs';

export const statusCommand: CommandModule = {
  command: 'status <inventory>',
  describe: 'Show, per pair and node, the agent state and who holds each VIP',
  builder: (y) => y.positional('inventory', { type: 'string', describe: 'inventory YAML file' }),
  handler: async () => {
    throw new Error('status: not implemented yet');
  },
};
