// haup's entry point: yargs command setup and the only top-level catch (STYLE.md §4).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { formatError, HaupError, EXIT_USAGE } from './errors.js';
import { commands } from './commands/index.js';
import { skipHelpCache } from './commands/help-cache.js';

export async function main(argv: string[]): Promise<void> {
  const verbose = argv.includes('--verbose');
  try {
    let parser = yargs(argv)
      .scriptName('haup')
      .usage('$0 <command> [options]\n\nMake pairs of Linux servers highly available with VRRP, and provision them over SSH.')
      .option('verbose', { type: 'boolean', default: false, describe: 'Show stack traces and causes on errors' })
      .option('ssh-persist', {
        type: 'string',
        describe: 'Keep SSH connections open this many seconds after the last run, in a background keeper (0: off; default $HAUP_SSH_PERSIST or 60)',
      })
      .middleware((args) => {
        const persist = args['ssh-persist'];
        if (persist === undefined) return;
        if (typeof persist !== 'string' || !/^\d+$/.test(persist)) {
          throw new HaupError('HAUP_USAGE', `--ssh-persist ${JSON.stringify(persist)} is not a whole number of seconds`, { hint: 'e.g. --ssh-persist 60, or 0 to connect without keeping connections' });
        }
        process.env.HAUP_SSH_PERSIST = persist; // read by cli/deploy/connect.ts
      })
      .strict()
      .demandCommand(1, 'Name a command; see the list above.')
      .recommendCommands()
      .wrap(Math.min(110, process.stdout.columns || 100))
      .version(process.env.HAUP_VERSION ?? 'dev')
      .help()
      .alias('h', 'help')
      .fail((msg, err) => {
        if (err) throw err;
        throw new HaupError('HAUP_USAGE', msg ?? 'invalid command line', { hint: 'run "haup --help" for the commands and their options' });
      });
    for (const cmd of commands) parser = parser.command(cmd);
    skipHelpCache(parser);
    await parser.parseAsync();
  } catch (err) {
    process.stderr.write(`${formatError(err, { verbose, color: Boolean(process.stderr.isTTY) })}\n`);
    process.exitCode = err instanceof HaupError ? err.exitCode : EXIT_USAGE + 68; // 70: EX_SOFTWARE
  }
}

await main(hideBin(process.argv));
