// `haup verify`: Run a real failover on each pair and report what a client saw.
import type { CommandModule } from 'yargs';

export const verifyCommand: CommandModule = {
  command: 'verify <inventory>',
  describe: 'Run a real failover on each pair and report what a client saw',
  builder: (y) => y.positional('inventory', { type: 'string', describe: 'inventory YAML file' }),
  handler: async () => {
    throw new Error('verify: not implemented yet');
  },
};
