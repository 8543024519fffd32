// Input: a generated inventory of 20 pairs (40 hosts) with checks and auth. Output: load, validation
// and render of every host stay far inside the 6 s budget of a 20-pair deploy (measured, printed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { loadInventoryText } from '../../../cli/inventory/load.js';
import { renderInventory } from '../../../cli/render/render.js';
import { loadTemplates } from '../../../cli/render/templates.js';

function inventory(pairs: number): string {
  const lines = [
    'defaults:',
    '  interface: eth0',
    '  preempt: false',
    '  auth: { type: PASS, pass: "${HAUP_SCALE_PASS:-scale}" }',
    '  check: { template: nginx, interval: 3 }',
    '  ssh: { key: /var/lib/haup/lab/lab/id_ed25519, known_hosts: /var/lib/haup/lab/lab/known_hosts }',
    'pairs:',
  ];
  for (let i = 0; i < pairs; i++) {
    lines.push(
      `  - name: p${i}`,
      `    vrid: ${i + 1}`,
      `    vips: [{ address: 10.254.1.${i + 1}/16, label: "eth0:${i}" }]`,
      `    master: { name: h${2 * i + 1}, host: 10.254.0.${2 * i + 11}, priority: 100 }`,
      `    backup: { name: h${2 * i + 2}, host: 10.254.0.${2 * i + 12}, priority: 99 }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

test('loads, validates and renders 20 pairs (40 hosts) in under a second', async (t) => {
  const text = inventory(20);
  const templates = await loadTemplates(null);
  const runs: number[] = [];
  let files = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const { model } = loadInventoryText(text, '/tmp/scale.yml', { env: {} });
    files = renderInventory(model, templates).length;
    runs.push(performance.now() - t0);
  }
  assert.equal(files, 120);
  const sorted = [...runs].sort((a, b) => a - b);
  const median = sorted[2] as number;
  t.diagnostic(`20 pairs: first ${runs[0]?.toFixed(1)} ms, median ${median.toFixed(1)} ms of 5 (load + validate + render, 120 files)`);
  assert.ok(median < 1000, `median ${median.toFixed(1)} ms`);
});
