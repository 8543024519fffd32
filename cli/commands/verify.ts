// `haup verify`: Run a real failover on each pair and report what a client saw.
import type { CommandModule } from 'yargs';
import type { VerifyArgs } from '../verify/run.js';

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify <inventory>',
  describe: 'Run a real failover on each pair and report what a client saw',
  builder: (y) =>
    y
      .positional('inventory', { type: 'string', demandOption: true, describe: 'inventory YAML file' })
      .option('limit', { type: 'string', array: true, describe: 'only these pairs (names, comma-separated)' })
      .option('mode', {
        choices: ['stop', 'kill', 'check', 'all'] as const,
        default: 'all' as const,
        describe: 'stop: graceful stop of the master agent (priority 0); kill: SIGKILL it; check: make the guarded service fail so its check acts; all: each in turn',
      })
      .option('margin', { type: 'number', default: 500, describe: 'fail when a takeover or the client outage exceeds the expected time by more than this many ms' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON (stable fields) instead of a table' })
      .option('known-hosts', { type: 'string', describe: 'known_hosts file for every host (default: each host\'s ssh.known_hosts)' })
      .option('trust-new-hosts', { type: 'boolean', default: false, describe: 'accept and record unknown SSH host keys (a changed key is still refused)' })
      .epilogue(
        'Each pair is checked first (one holder of every VIP, both daemons running) and left untouched if that fails. ' +
          'Afterwards the pair is restored and left as found: both daemons and the guarded service running, one holder; ' +
          'with preempt the VIPs go back to the master, with nopreempt they stay on the node that took over (moving them ' +
          'back would cost a second outage). Ctrl-C stops measuring and restores the pair before exiting.',
      )
      .example('$0 verify inventories/lab.yml', 'stop, kill and check failovers on every pair; restores each pair afterwards')
      .example('$0 verify prod.yml --limit web --mode kill --margin 200 --json', 'one hard-kill failover of pair web, as JSON for CI'),
  handler: async (argv) => {
    const { runVerify } = await import('../verify/run.js');
    await runVerify(argv);
  },
};
