// A machine-wide lock around choosing a lab's subnet, so two `lab up` at once never pick the same one.
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HaupError } from '../errors.js';
import { isRunning } from './proc.js';

const STALE_EMPTY_MS = 5000;

function tryAcquire(file: string): boolean {
  try {
    writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // Held: break it only when its owner is gone (or it stayed empty, i.e. the owner died mid-write).
  try {
    const owner = Number(readFileSync(file, 'utf8').trim());
    const stale = owner > 0 ? !isRunning(owner) : Date.now() - statSync(file).mtimeMs > STALE_EMPTY_MS;
    if (stale) unlinkSync(file);
  } catch {
    // released meanwhile
  }
  return false;
}

export async function withLabLock<T>(root: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const file = join(root, '.lock');
  const deadline = Date.now() + timeoutMs;
  while (!tryAcquire(file)) {
    if (Date.now() > deadline) {
      throw new HaupError('HAUP_LAB_FAILED', `another haup lab command holds ${file}`, {
        hint: `wait for it to finish; if none is running, remove ${file}`,
      });
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(file);
    } catch {
      // removed by someone who judged it stale; nothing to release
    }
  }
}
