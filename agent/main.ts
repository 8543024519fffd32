// haup-agent entry point: wiring only (command line -> run / check / status).
import { HELP, parseArgs } from './args.js';
import { VERSION, checkConfig, runAgent, showStatus } from './runtime.js';

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`haup-agent: ${parsed.error}\n`);
    return 2;
  }
  const c = parsed.command;
  switch (c.cmd) {
    case 'help':
      process.stdout.write(`${HELP[c.topic ?? 'main']}\n`);
      return 0;
    case 'version':
      process.stdout.write(`haup-agent ${VERSION}\n`);
      return 0;
    case 'check':
      return checkConfig(c.configFile);
    case 'status':
      return showStatus(c.stateFile, c.json);
    case 'run':
      return runAgent(c);
    default: {
      const never: never = c;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`haup-agent: internal error — please report: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
