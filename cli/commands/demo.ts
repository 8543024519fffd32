// `haup demo`: the whole story on this machine — a lab of two servers, deploy, status, verify, a report.
import type { CommandModule } from 'yargs';
import { DEFAULT_LAB_NAME } from '../lab/names.js';

export const demoCommand: CommandModule<object, { keep: boolean; mode: 'stop' | 'kill' | 'check' | 'all'; lab: string }> = {
  command: 'demo',
  describe: 'Run haup end to end on a local lab: lab up, deploy, status, verify (real failovers), and report',
  builder: (y) =>
    y
      .option('keep', {
        type: 'boolean',
        default: true,
        describe: 'leave the lab up afterwards to look around; --no-keep removes it (only if the demo created it)',
      })
      .option('mode', {
        choices: ['stop', 'kill', 'check', 'all'] as const,
        default: 'all' as const,
        describe: 'failures haup verify induces on the master: graceful stop, SIGKILL, failing health check, or all',
      })
      .option('lab', {
        type: 'string',
        default: DEFAULT_LAB_NAME,
        describe: 'lab name; "lab" (10.254.0.0/24) deploys inventories/lab.yml, any other the inventory the lab writes',
      })
      .example('sudo $0 demo', 'the whole demo; the lab stays up afterwards')
      .example('sudo $0 demo --mode kill --no-keep', 'one hard-kill failover, then remove the lab'),
  handler: async (argv) => (await import('../demo/run.js')).runDemo(argv),
};
