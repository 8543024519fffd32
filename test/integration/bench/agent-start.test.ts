// Smoke test of bench/agent-start: two rounds, as a user runs it, with valid --json that has every variant (the
// numbers are the bench's business; it fails by itself if an agent's first status does not name its instance).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runBench } from '../../support/bench.js';
import { REPO_ROOT, skipReason } from '../../support/netns.js';
import { join } from 'node:path';

const skip = skipReason(['ip', 'nsenter']);

describe('bench/agent-start', { skip }, () => {
  test('times the bare script and the agent with and without a check, and a bundle to compare', { timeout: 120_000 }, async () => {
    const r = await runBench('agent-start.ts', ['--rounds', '2', '--compare', join(REPO_ROOT, 'dist/agent/haup-agent.cjs'), '--json']);
    assert.equal(r.code, 0, `exit code; stderr:\n${r.stderr}`);
    const out = JSON.parse(r.stdout) as { rounds: number; rows: { variant: string; cpuMs: number; wallMs: number }[] };
    assert.equal(out.rounds, 2);
    assert.deepEqual(out.rows.map((x) => x.variant), ['bare', 'agent', 'agent+check', 'agent (compare)', 'agent+check (compare)']);
    for (const x of out.rows) assert.ok(x.cpuMs > 0 && x.wallMs >= x.cpuMs / 4, `${x.variant}: ${x.cpuMs} ms CPU, ${x.wallMs} ms wall`);
  });
});
