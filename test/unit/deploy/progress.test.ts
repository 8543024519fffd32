// Input: deploy jobs that log lines and succeed or fail, and finished reports. Output: what listr2 (its test
// renderer) and the plain-line display print, and the report text.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { mapLimit, runJobs, type Job } from '../../../cli/ui/progress.js';
import { componentSummary, formatReport } from '../../../cli/ui/deploy-report.js';
import type { DeployReport, HostReport } from '../../../cli/deploy/report.js';

function sink(): { stream: NodeJS.WritableStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

const jobs: Job[] = [
  { title: 'web', run: async (log) => (log('h2: reloaded haup agent (pid 7)'), { ok: true, summary: 'h2 reloaded, h1 reloaded' }) },
  { title: 'api', run: async (log) => (log('h4: failed: boom'), { ok: false, summary: 'h4 rolled-back' }) },
];

describe('runJobs', () => {
  test('drives listr2: titles, output lines, a failed job marked failed, the other completed', async () => {
    const out = sink();
    const outcomes = await runJobs(jobs, { mode: 'test', concurrency: 2, out: out.stream });
    assert.deepEqual(outcomes.map((o) => o.ok), [true, false]);
    // The test renderer prints one JSON event per line, with the task's title at that moment.
    const events = out.text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; data: unknown; task?: { title: string } });
    const of = (prefix: string) => events.filter((e) => e.task?.title.startsWith(prefix)).map((e) => `${e.event} ${JSON.stringify(e.data)}`);
    assert.deepEqual(of('web'), [
      'STATE "STARTED"',
      'OUTPUT "h2: reloaded haup agent (pid 7)"',
      'TITLE "web: h2 reloaded, h1 reloaded"',
      'STATE "COMPLETED"',
    ]);
    assert.deepEqual(of('api'), ['STATE "STARTED"', 'OUTPUT "h4: failed: boom"', 'TITLE "api: h4 rolled-back"', 'STATE "FAILED"', 'MESSAGE {"error":"h4 rolled-back"}']);
  });
  test('prints plain prefixed lines when not on a terminal', async () => {
    const out = sink();
    await runJobs(jobs, { mode: 'plain', concurrency: 1, out: out.stream });
    assert.deepEqual(out.text().split('\n').filter(Boolean), [
      '[web] started',
      '[web] h2: reloaded haup agent (pid 7)',
      '[web] ok: h2 reloaded, h1 reloaded',
      '[api] started',
      '[api] h4: failed: boom',
      '[api] FAILED: h4 rolled-back',
    ]);
  });
  test('runs at most `concurrency` jobs at once', async () => {
    let running = 0;
    let peak = 0;
    await mapLimit([1, 2, 3, 4, 5], 2, async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    });
    assert.equal(peak, 2);
  });
});

function host(id: string, over: Partial<HostReport>): HostReport {
  return {
    host: id, address: `10.0.0.${id.slice(1)}`, engine: 'haup', roles: { web: id === 'h1' ? 'master' : 'backup' }, changed: [], unchanged: [], action: 'none', reason: '',
    result: 'unchanged', pidBefore: 1, pidAfter: 1, states: {}, roundTrips: 1, error: null, diff: null,
    timings: { connectMs: 10, factsMs: 5, pushMs: null, serviceMs: null, waitMs: null, rollbackMs: null },
    ...over,
  };
}

describe('formatReport', () => {
  test('prints each pair with its hosts, backup first, and a summary that says 0 changed', () => {
    const r: DeployReport = {
      version: 1, inventory: 'inv.yml', mode: 'deploy', ok: true, changedHosts: 0, changedFiles: 0, durationMs: 420,
      pairs: [{ pair: 'web', master: 'h1', backup: 'h2', result: 'ok', converged: true, error: null, timings: { totalMs: 12, convergeMs: 0 } }],
      hosts: [host('h1', { states: { VI_web: 'MASTER' } }), host('h2', { states: { VI_web: 'BACKUP' } })],
    };
    const text = formatReport(r, { color: false });
    assert.equal(
      text,
      [
        'web: ok, VIP on the expected node (0.01 s)',
        '  h2             backup unchanged       no files  no action       0.00 s  VI_web BACKUP',
        '  h1             master unchanged       no files  no action       0.00 s  VI_web MASTER',
        'deploy: 1 pair, 0 failed; 0 hosts changed (0 files) in 0.42 s',
        '',
      ].join('\n'),
    );
  });
  test('shows a failed pair with the error of the host that failed', () => {
    const err = { code: 'HAUP_DEPLOY_FAILED', message: 'h2: the agent process (pid 9) exited', details: ['log line'] };
    const r: DeployReport = {
      version: 1, inventory: 'inv.yml', mode: 'deploy', ok: false, changedHosts: 0, changedFiles: 0, durationMs: 1000,
      pairs: [{ pair: 'web', master: 'h1', backup: 'h2', result: 'failed', converged: null, error: err, timings: { totalMs: 900, convergeMs: null } }],
      hosts: [host('h1', { result: 'untouched' }), host('h2', { result: 'rolled-back', action: 'restart', changed: ['/opt/haup/haup-agent.cjs'], error: err })],
    };
    const text = formatReport(r, { color: false });
    assert.match(text, /^web: FAILED \(0\.90 s\)$/m);
    assert.match(text, /^ {2}h2 {13}backup rolled-back {5}1 file {4}restart/m);
    assert.match(text, /^ {2}h2: the agent process \(pid 9\) exited$/m);
    assert.doesNotMatch(text, /log line/, 'details are printed once, by the error after the report');
    assert.match(text, /1 failed/);
  });
  test('summarises a group in one line', () => {
    assert.equal(componentSummary([host('h2', { result: 'changed', action: 'reload' }), host('h1', { result: 'unchanged' })], false), 'h2 reloaded, h1 unchanged');
    assert.equal(componentSummary([host('h2', { result: 'planned', action: 'start', changed: ['a', 'b'] })], true), 'h2 would start (2 files)');
  });
});
