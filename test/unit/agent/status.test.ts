// Input: the agent's status writer with a temp dir as /run/haup. Output: the file it leaves, and what a waiter on
// the wake FIFO next to it reads (deploy's wait scripts block on that FIFO instead of polling the file).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, readlinkSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tryLoadAddon } from '../../../agent/net/socket.js';
import { Agent } from '../../../agent/runtime/agent.js';
import { NOTIFY_FD_ENV, notifyReady, readStatus, statusWakeFifo, takeNotifyFd, wakeStatusWaiters, writeStatus, type AgentStatus } from '../../../agent/status.js';

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

describe('readiness descriptor (HAUP_NOTIFY_FD, as deploy\'s service script passes it)', () => {
  /** A FIFO held open read-write like the script's `exec 9<>FIFO`, plus a non-blocking reader to look into it. */
  function fifo(name: string): { path: string; inherited: number; reader: number } {
    const path = join(dir, name);
    execFileSync('mkfifo', ['-m', '600', path]);
    return { path, inherited: openSync(path, constants.O_RDWR), reader: openSync(path, constants.O_RDONLY | constants.O_NONBLOCK) };
  }
  const isOpen = (fd: number) => {
    try {
      fstatSync(fd);
      return true;
    } catch {
      return false;
    }
  };

  test('is taken out of the environment, reopened close-on-exec, and told one line once', () => {
    const f = fifo('ready.fifo');
    const env: NodeJS.ProcessEnv = { [NOTIFY_FD_ENV]: String(f.inherited), KEEP: '1' };
    const fd = takeNotifyFd(env);
    assert.ok(fd !== null);
    assert.deepEqual(env, { KEEP: '1' }, 'no child process sees the variable');
    assert.equal(isOpen(f.inherited), false, 'the inherited descriptor (not close-on-exec) is closed');
    assert.equal(readlinkSync(`/proc/self/fd/${fd}`), f.path);
    const flags = parseInt(/^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? '', 8);
    assert.deepEqual([flags & 0o2000000, flags & 0o4000, flags & 0o3], [0o2000000, 0o4000, 1], 'O_CLOEXEC, O_NONBLOCK, O_WRONLY');
    notifyReady(fd);
    assert.equal(drain(f.reader), '\n');
    assert.equal(isOpen(fd), false);
    closeSync(f.reader);
  });
  test('an agent tells it after its first status write, and only then', () => {
    const f = fifo('agent-ready.fifo');
    const file = join(dir, 'ready-run', 'agent-state.json');
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const agent = new Agent({ configFile: '/etc/haup/keepalived.conf', stateFile: file, log: quiet, makeFifo: () => undefined, notifyFd: takeNotifyFd({ [NOTIFY_FD_ENV]: String(f.inherited) }) });
    assert.equal(drain(f.reader), '', 'not ready before the status is there');
    agent.writeStatusNow();
    assert.ok(existsSync(file));
    assert.equal(drain(f.reader), '\n');
    agent.writeStatusNow();
    assert.equal(drain(f.reader), '', 'once');
    closeSync(f.reader);
  });
  test('anything but an open FIFO or pipe is left alone: unset, not a number, stdio, a regular file, a closed descriptor', () => {
    const file = join(dir, 'not-a-fifo.txt');
    writeFileSync(file, 'keep\n');
    const regular = openSync(file, 'r+');
    for (const value of [undefined, '', 'x9', '9; rm', '2', '-1', String(regular), '4000']) {
      const env: NodeJS.ProcessEnv = value === undefined ? {} : { [NOTIFY_FD_ENV]: value };
      assert.equal(takeNotifyFd(env), null, String(value));
      assert.equal(env[NOTIFY_FD_ENV], undefined);
    }
    assert.ok(isOpen(regular), 'a descriptor that is not a FIFO is not closed either');
    closeSync(regular);
    assert.equal(readFileSync(file, 'utf8'), 'keep\n');
  });
});
