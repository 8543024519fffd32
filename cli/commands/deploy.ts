// `haup deploy`: Push rendered configs and the haup agent to every node over SSH, backup before master.
import type { CommandModule } from 'yargs';

export const deployCommand: CommandModule = {
  command: 'deploy <inventory>',
  describe: 'Push rendered configs and the haup agent to every node over SSH, backup before master',
  builder: (y) => y.positional('inventory', { type: 'string', describe: 'inventory YAML file' }),
  handler: async () => {
    throw new Error('deploy: not implemented yet');
  },
};
