// Input: every host's rendered keepalived.conf from every example inventory. Output: the haup agent's
// own config parser (agent/config, what `haup-agent check` runs) reads it with no diagnostic and gets
// back exactly the instances, scripts and secrets of the inventory model: the render/agent contract.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, formatDiagnostic } from '../../agent/config/check.js';
import { loadInventory } from '../../cli/inventory/load.js';
import { renderInventory } from '../../cli/render/render.js';
import { loadTemplates } from '../../cli/render/templates.js';
import { exampleInventories } from './render-inventories.js';

const templates = await loadTemplates(null);

describe('the agent reads what haup renders', () => {
  for (const inventory of exampleInventories()) {
    test(`parses every keepalived.conf of ${inventory} back into the inventory's instances`, async () => {
      const { model } = await loadInventory(inventory, { env: {}, home: '/home/haup' });
      const files = renderInventory(model, templates);
      for (const host of model.hosts) {
        const conf = files.find((f) => f.host === host.id && f.kind === 'config');
        assert.ok(conf);
        const r = parseConfig(conf.content, conf.path, () => {
          throw new Error('no includes expected');
        });
        assert.deepEqual(r.diagnostics.map(formatDiagnostic), [], `${host.id}: the agent reports problems`);
        assert.equal(r.config.globalDefs.routerId, host.id);
        assert.deepEqual(
          r.config.instances.map((i) => ({
            name: i.name, state: i.state, interface: i.interface, vrid: i.vrid, priority: i.priority, advertInt: i.advertInt,
            version: i.version, nopreempt: i.nopreempt, pass: i.authentication?.pass ?? null,
            vips: i.vips.map((v) => `${v.address}/${v.prefix} ${v.dev ?? '-'} ${v.label ?? '-'}`),
            track: i.trackScripts.map((t) => t.script), unicast: i.unicastPeers,
          })),
          host.instances.map((i) => ({
            name: i.name, state: i.state, interface: i.interface, vrid: i.vrid, priority: i.priority, advertInt: i.advertInt,
            version: i.version, nopreempt: !i.preempt, pass: i.auth?.pass ?? null,
            vips: i.vips.map((v) => `${v.address}/${v.prefix ?? (v.family === 4 ? 32 : 128)} ${v.dev} ${v.label ?? '-'}`),
            track: i.trackScripts, unicast: i.unicast?.peers ?? [],
          })),
          `${host.id}: instances differ`,
        );
        assert.deepEqual(
          r.config.scripts.map((s) => [s.name, s.script, s.interval, s.weight, s.rise, s.fall]),
          host.scripts.map((s) => [s.name, s.path, s.check.interval, s.check.weight, s.check.rise, s.check.fall]),
          `${host.id}: scripts differ`,
        );
      }
    });
  }
});
