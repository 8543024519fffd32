// Input: a ScriptPool given a real track script (a shell script that appends to a file). Output: when it runs: from
// the tick after it was started, so a starting agent's first status comes before the spawn, and a script stopped in
// the tick it was started never runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VrrpScript } from '../../../../agent/config/schema.js';
import { ScriptPool } from '../../../../agent/runtime/scripts.js';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const policy = { security: false, defaultUser: undefined };

/** A track script that appends a line to `marker` each run and exits 0. */
function markerScript(dir: string): { cfg: VrrpScript; marker: string } {
  const marker = join(dir, 'ran');
  const file = join(dir, 'check.sh');
  writeFileSync(file, `#!/bin/sh\necho run >> '${marker}'\n`);
  chmodSync(file, 0o755);
  const cfg: VrrpScript = { name: 'chk', script: file, interval: 60, timeout: 5, weight: 0, weightReverse: false, rise: 1, fall: 1, initFail: false, file: 'test.conf', line: 1 };
  return { cfg, marker };
}

test('a started script runs from the next tick on and reports its result', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'haup-scripts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { cfg, marker } = markerScript(dir);
  let changed: () => void = () => {};
  const decided = new Promise<void>((r) => (changed = r));
  const pool = new ScriptPool(quiet, () => changed());
  try {
    pool.sync([cfg], policy);
    assert.equal(pool.status('chk'), 'init');
    await decided;
    assert.equal(pool.status('chk'), 'up');
    assert.ok(existsSync(marker), 'the script ran');
  } finally {
    pool.stopAll();
  }
});

test('a script stopped in the tick it was started never runs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'haup-scripts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { cfg, marker } = markerScript(dir);
  const pool = new ScriptPool(quiet, () => assert.fail('no result may come'));
  pool.sync([cfg], policy);
  pool.stopAll();
  // Long enough for a spawned shell to have written its line (the test above takes a few ms).
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(existsSync(marker), false, 'the script was never spawned');
});
