// `haup deploy`: Push rendered configs and the haup agent to every node over SSH, backup before master.
import type { CommandModule } from 'yargs';
import type { DeployArgs } from '../deploy/run.js';

type DeployArgv = Omit<DeployArgs, 'limit'> & { limit?: string | string[] };

export const deployCommand: CommandModule<object, DeployArgv> = {
  command: 'deploy <inventory>',
  describe: 'Push rendered configs and the haup agent to every node over SSH, backup before master',
  builder: (y) =>
    y
      .positional('inventory', { type: 'string', demandOption: true, describe: 'inventory YAML file' })
      .option('check', { type: 'boolean', default: false, describe: 'plan only: connect and gather facts, change nothing' })
      .option('diff', { type: 'boolean', default: false, describe: 'show a unified diff of every changed text file (secrets redacted)' })
      // Not an array option: yargs arrays swallow the words after them (the inventory); repeats still collect.
      .option('limit', { type: 'string', describe: 'only these pairs or hosts (repeat, or separate with commas)' })
      .option('json', { type: 'boolean', default: false, describe: 'print a machine report (per pair and host: files, action, result, timings, errors)' })
      .option('concurrency', { type: 'number', default: 10, describe: 'pairs deployed at the same time' })
      .option('known-hosts', { type: 'string', describe: 'known_hosts file for every host (default: each host\'s ssh.known_hosts)' })
      .option('trust-new-hosts', { type: 'boolean', default: false, describe: 'accept and record unknown host keys (a changed key is still refused)' })
      .option('templates', { type: 'string', describe: 'folder of *.hbs templates overriding the built-in ones' })
      .option('agent', { type: 'string', describe: 'folder with haup-agent.cjs and haup_raw.node (default: the bundle built with haup)' })
      .example('$0 deploy inventories/lab.yml', 'deploy every pair: backup first, then master')
      .example('$0 deploy prod.yml --check --diff', 'show what would change, without changing anything')
      .example('$0 deploy prod.yml --limit web --json > report.json', 'one pair, with a machine report for CI'),
  handler: async (argv) => {
    const { runDeploy } = await import('../deploy/run.js');
    const tty = Boolean(process.stderr.isTTY);
    const limit = argv.limit === undefined ? undefined : [argv.limit].flat();
    await runDeploy({ ...argv, limit }, { out: process.stdout, err: process.stderr, progress: argv.json ? 'silent' : tty ? 'tty' : 'plain', color: Boolean(process.stdout.isTTY) });
  },
};
