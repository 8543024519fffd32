// Smoke test of bench/vrid-noise: one short round of each mode, as a user runs it, with valid --json whose packet
// counts show the filter at work (the CPU numbers are the bench's business, not asserted here).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runBench } from '../../support/bench.js';
import { skipReason } from '../../support/netns.js';

const skip = skipReason(['ip']);

const bench = (args: string[]) => runBench('vrid-noise.ts', args);

interface Row {
  mode: string;
  cpuMs: number;
  readPerS: number;
  drainedPerS: number;
  vridPerS: number;
  wakeVrids: number[] | null;
}

describe('bench/vrid-noise', { skip }, () => {
  test('measures a filtered and an unfiltered agent hearing 4 other VRIDs', { timeout: 180_000 }, async () => {
    const r = await bench(['--others', '4', '--advert-int', '0.1', '--window', '3', '--rounds', '1', '--json']);
    assert.equal(r.code, 0, `exit code; stderr:\n${r.stderr}`);
    const out = JSON.parse(r.stdout) as { others: number; rows: Row[] };
    const row = (mode: string) => out.rows.find((x) => x.mode === mode) as Row;
    assert.deepEqual(out.rows.map((x) => x.mode), ['filtered', 'unfiltered']);
    assert.deepEqual(row('filtered').wakeVrids, [1]);
    assert.equal(row('unfiltered').wakeVrids, null);
    // 10 adverts/s per VRID: the filtered agent wakes for its own VRID's only, and drains the other 40/s.
    assert.ok(row('filtered').readPerS < 15, `filtered: ${row('filtered').readPerS} reads/s`);
    assert.ok(row('filtered').drainedPerS > 30, `filtered: ${row('filtered').drainedPerS} drained/s`);
    assert.ok(row('unfiltered').readPerS > 40, `unfiltered: ${row('unfiltered').readPerS} reads/s`);
    for (const x of out.rows) assert.ok(x.vridPerS > 30 && x.vridPerS < 50, `${x.mode}: ${x.vridPerS} vrid drops/s`);
  });
});
