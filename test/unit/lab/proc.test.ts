// Input: real child processes (sh, sleep) in given states. Output: what isRunning and terminate say and do to them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { isRunning, pollUntil, processState, terminate } from '../../../cli/lab/proc.js';

/** A child that has printed its first line (so its traps are installed), with its pid. */
async function started(script: string): Promise<{ child: ChildProcess; pid: number; firstLine: string }> {
  const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  const [data] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, pid: child.pid!, firstLine: data.toString().trim() };
}

/** A pid that existed and has been reaped: signalling it gives ESRCH (unless the kernel reuses it meanwhile). */
async function reapedPid(): Promise<number> {
  const child = spawn('true');
  await once(child, 'exit');
  return child.pid!;
}

describe('terminate', () => {
  test('ends a process that ignores SIGTERM with SIGKILL after the grace', async () => {
    const { child, pid } = await started("trap '' TERM; echo up; while :; do sleep 0.05; done");
    const exited = once(child, 'exit'); // before terminate: Node may reap the child while terminate polls
    const t0 = Date.now();
    assert.deepEqual(await terminate([pid], { graceMs: 300 }), []);
    assert.ok(Date.now() - t0 >= 300, 'it waited the grace before SIGKILL');
    const [, signal] = await exited;
    assert.equal(signal, 'SIGKILL');
  });

  test('takes a pid that is already gone as done and still ends the others', async () => {
    const gone = await reapedPid();
    const { child, pid } = await started('echo up; exec sleep 30');
    const exited = once(child, 'exit');
    assert.deepEqual(await terminate([gone, pid, gone], { graceMs: 2000 }), []);
    const [, signal] = await exited;
    assert.equal(signal, 'SIGTERM');
  });

  test('counts a zombie as gone: terminate does not wait for its parent to reap it', async () => {
    // The shell starts a short child, prints its pid, then becomes a sleep that never waits for it: a zombie.
    const { pid, firstLine } = await started('sleep 0.01 & echo $!; exec sleep 30');
    const kid = Number(firstLine);
    try {
      assert.ok(await pollUntil(() => processState(kid) === 'Z', { timeoutMs: 3000, intervalMs: 10 }), 'the child became a zombie');
      assert.equal(isRunning(kid), false);
      const t0 = Date.now();
      assert.deepEqual(await terminate([kid], { graceMs: 2000 }), []);
      assert.ok(Date.now() - t0 < 1000, 'no grace spent on a zombie');
    } finally {
      await terminate([pid]);
    }
  });
});
