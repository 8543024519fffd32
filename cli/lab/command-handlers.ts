// The lab commands' handlers: run the lab modules and print; progress goes to stderr as plain lines.
import { EXIT_HOST_FAILED } from '../errors.js';
import { labDown } from './down.js';
import { formatStatusTable, formatUpNextSteps } from './report.js';
import { labStatus } from './status.js';
import { labUp } from './up.js';

const progress = (line: string) => process.stderr.write(`${line}\n`);

export async function runLabUp(argv: { name: string; hosts?: number; subnet?: string }): Promise<void> {
  const controller = new AbortController();
  const onInterrupt = () => {
    progress('interrupted: stopping and removing the half-built lab');
    controller.abort(new Error('interrupted'));
  };
  process.once('SIGINT', onInterrupt);
  try {
    const res = await labUp({ name: argv.name, hosts: argv.hosts, subnet: argv.subnet, progress, signal: controller.signal });
    process.stdout.write(res.inventory);
    progress(formatUpNextSteps(res.status, res.alreadyUp).trimEnd());
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

export async function runLabDown(argv: { name: string }): Promise<void> {
  await labDown({ name: argv.name, progress });
}

export async function runLabStatus(argv: { name: string; json: boolean }): Promise<void> {
  const status = labStatus({ name: argv.name });
  process.stdout.write(argv.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatusTable(status));
  if (!status.healthy) process.exitCode = EXIT_HOST_FAILED;
}
