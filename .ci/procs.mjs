// Prints "PID COMMAND" for each live process (not a zombie) in this process's own network namespace, sorted,
// except itself and its ancestors (the shell that asks). .ci/run compares two such lists, taken before and
// after the tests in their own namespace (HAUP_CI_ISOLATE=1), to find processes the tests left running.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const parentOf = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
};
const skip = new Set();
for (let pid = process.pid; pid > 1; pid = parentOf(pid)) skip.add(pid);

const own = readlinkSync('/proc/self/ns/net');
const lines = [];
for (const entry of readdirSync('/proc')) {
  if (!/^\d+$/.test(entry) || skip.has(Number(entry))) continue;
  try {
    if (readlinkSync(`/proc/${entry}/ns/net`) !== own) continue;
    const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) continue; // exited; PID 1 here reaps slowly
    const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 160);
    lines.push(`${entry} ${cmd}`);
  } catch {
    // exited while we looked
  }
}
process.stdout.write(lines.sort().map((l) => `${l}\n`).join(''));
