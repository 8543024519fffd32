// `haup lab up|down|status`: a local lab of real SSH hosts in network namespaces.
import type { CommandModule } from 'yargs';

export const labCommand: CommandModule = {
  command: 'lab <action>',
  describe: 'Start, stop or show a local lab of SSH hosts in network namespaces',
  builder: (y) => y.positional('action', { choices: ['up', 'down', 'status'] as const, describe: 'what to do' }),
  handler: async () => {
    throw new Error('lab: not implemented yet');
  },
};
