// Input: the agent's status writer with a temp dir as /run/haup. Output: the file it leaves, and what a waiter on
// the wake FIFO next to it reads (deploy's wait scripts block on that FIFO instead of polling the file).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tryLoadAddon } from '../../../agent/net/socket.js';
import { Agent } from '../../../agent/runtime/agent.js';
import { readStatus, statusWakeFifo, wakeStatusWaiters, writeStatus, type AgentStatus } from '../../../agent/status.js';

const dir = mkdtempSync(join(tmpdir(), 'haup-status-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const status = (updatedAt: string) => ({ agent: 'haup-agent', pid: 1, updatedAt, instances: [] }) as unknown as AgentStatus;

/** Reads what is in the FIFO now (the reader is non-blocking: EAGAIN = empty). */
function drain(fd: number): string {
  const buf = Buffer.alloc(256);
  try {
    return buf.toString('utf8', 0, readSync(fd, buf));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return '';
    throw err;
  }
}

describe('status file and its wake FIFO', () => {
  test('each status write puts one line in the wake FIFO a waiter holds open', () => {
    const file = join(dir, 'run', 'agent-state.json');
    writeStatus(file, status('t1')); // makes the directory; no FIFO yet, nothing else appears
    assert.equal(existsSync(statusWakeFifo(file)), false);
    execFileSync('mkfifo', ['-m', '600', statusWakeFifo(file)]);
    const fd = openSync(statusWakeFifo(file), constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      writeStatus(file, status('t2'));
      writeStatus(file, status('t3'));
      assert.equal(drain(fd), '\n\n');
      assert.equal(readStatus(file).updatedAt, 't3', 'the file was in place before the wakeup');
      assert.equal(drain(fd), '');
    } finally {
      closeSync(fd);
    }
  });
  test('no reader: the write neither blocks nor fails', () => {
    const file = join(dir, 'alone.json');
    execFileSync('mkfifo', ['-m', '600', statusWakeFifo(file)]);
    writeStatus(file, status('t1'));
    assert.equal(readStatus(file).updatedAt, 't1');
  });
  test('a regular file where the FIFO belongs is left as it is', () => {
    const file = join(dir, 'plain.json');
    writeFileSync(statusWakeFifo(file), 'keep\n');
    wakeStatusWaiters(file);
    assert.equal(readFileSync(statusWakeFifo(file), 'utf8'), 'keep\n');
  });
  test('the addon makes FIFOs: true when made, false when something is there, an errno error otherwise', (t) => {
    const addon = tryLoadAddon();
    if (!addon?.makeFifo) return t.skip('needs the addon built by npm ci');
    const path = join(dir, 'made.wake');
    assert.equal(addon.makeFifo(path, 0o600), true);
    const st = statSync(path);
    assert.ok(st.isFIFO());
    assert.equal(st.mode & 0o777, 0o600 & ~process.umask());
    assert.equal(addon.makeFifo(path, 0o600), false);
    assert.throws(() => addon.makeFifo!(join(dir, 'missing', 'x.wake'), 0o600), /ENOENT/);
  });
  test('an agent makes the wake FIFO once, after its first status write made the directory', () => {
    const file = join(dir, 'agent-run', 'agent-state.json');
    const made: string[] = [];
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const agent = new Agent({ configFile: '/etc/haup/keepalived.conf', stateFile: file, log: quiet, makeFifo: (p) => made.push(p) });
    agent.writeStatusNow();
    agent.writeStatusNow();
    assert.deepEqual(made, [statusWakeFifo(file)]);
    assert.ok(existsSync(file));
  });
});
