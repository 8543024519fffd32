// Smoke test of bench/failover: one trial of each row, as a user runs it, prints the full table (and valid --json).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runBench } from '../../support/bench.js';
import { labSkipReason } from '../../support/lab.js';
import { findBinary } from '../../support/netns.js';

const skip =
  labSkipReason() ??
  (findBinary('dumpcap') ? undefined : 'needs dumpcap: apt-get install -y tshark') ??
  (findBinary('keepalived') ? undefined : 'needs keepalived: apt-get install -y keepalived');

const bench = (args: string[]) => runBench('failover.ts', args);

describe('bench/failover', { skip }, () => {
  test('runs one trial per row for both engines and prints the lateness and idle-cost tables', { timeout: 300_000 }, async () => {
    const r = await bench(['--trials', '1', '--idle-window', '2', '--lab', 't2s']);
    assert.equal(r.code, 0, `exit code; stderr:\n${r.stderr}`);
    const out = r.stdout;
    assert.match(out, /^load average \(1\/5\/15 min\): before [\d.]+ [\d.]+ [\d.]+, after [\d.]+ [\d.]+ [\d.]+$/m);
    assert.match(out, /^config +engine +mode +expected +takeover +min +median +p90 +max +ok$/m);
    // Expected times: Master_Down_Interval / Skew_Time of the priority-100 backup, as keepalived computes them.
    for (const [config, kill, stop] of [['v2 advert_int 1', '3609.38', '609.38'], ['v3 advert_int 0.1', '360.94', '60.94']]) {
      for (const engine of ['haup', 'keepalived']) {
        for (const [mode, expected] of [['kill', kill], ['stop', stop]]) {
          const row = new RegExp(`^${config} +${engine} +${mode} +${expected} +([\\d.]+) +([-+][\\d.]+) .* 1/1$`, 'm').exec(out);
          assert.ok(row, `a row for ${config} ${engine} ${mode} with its trial done:\n${out}`);
          // A takeover on the wire takes at least the protocol's time and, even on a loaded machine, not a second more.
          const took = Number(row[1]);
          assert.ok(took >= Number(expected) - 1 && took < Number(expected) + 1000, `${config} ${engine} ${mode}: took ${took} ms`);
        }
        assert.match(out, new RegExp(`^${config} +${engine} +master +\\d+ +[\\d.]+ +[\\d.]+ +[\\d.]+ +[\\d.]+$`, 'm'), `idle row for ${config} ${engine} master`);
      }
    }
    assert.match(out, /^Targets \(issue 3\) for haup:$/m);
    assert.doesNotMatch(out, /Failed trials/);
  });

  test('--json prints the same report as JSON', { timeout: 120_000 }, async () => {
    const r = await bench(['--trials', '1', '--idle-window', '0', '--configs', '3:0.1', '--engine', 'haup', '--modes', 'stop', '--json', '--lab', 't2s']);
    assert.equal(r.code, 0, `exit code; stderr:\n${r.stderr}`);
    const report = JSON.parse(r.stdout) as { rows: { engine: string; config: string; mode: string; ok: number; expectedMs: number; medianLateMs: number }[] };
    assert.deepEqual(
      report.rows.map((x) => [x.engine, x.config, x.mode, x.ok, x.expectedMs]),
      [['haup', 'v3 advert_int 0.1', 'stop', 1, 60.937]],
    );
    assert.ok(Number.isFinite(report.rows[0]?.medianLateMs));
  });
});
