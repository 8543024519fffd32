// Input: test/conformance/<case>/state.json (a router, or a config to start from) and input.jsonl (timed events).
// Output: the state and actions after each event must equal expected-actions.jsonl (HAUP_UPDATE_GOLDEN=1 rewrites it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRouter, step, type Event, type RouterConfig, type VirtualRouter } from '../../agent/vrrp/fsm.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const update = process.env.HAUP_UPDATE_GOLDEN === '1';

interface CaseState {
  description: string;
  /** Start from this router state... */
  router?: VirtualRouter;
  /** ...or from a fresh router (initialize) with this config. */
  config?: RouterConfig;
}

const jsonl = (file: string): unknown[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);

const cases = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'input.jsonl')))
  .map((d) => d.name)
  .sort();

for (const name of cases) {
  const dir = join(here, name);
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as CaseState;
  test(`${name}: ${state.description}`, () => {
    let vr = state.router ?? createRouter(state.config as RouterConfig);
    const got = (jsonl(join(dir, 'input.jsonl')) as { now: number; event: Event }[]).map(({ now, event }) => {
      const r = step(vr, event, now);
      vr = r.vr;
      return { now, event: event.type, state: r.vr.state, actions: r.actions };
    });
    const file = join(dir, 'expected-actions.jsonl');
    if (update) {
      writeFileSync(file, got.map((g) => JSON.stringify(g)).join('\n') + '\n');
      return;
    }
    assert.ok(existsSync(file), `${file} is missing — run with HAUP_UPDATE_GOLDEN=1 and review it`);
    assert.deepEqual(got, jsonl(file));
  });
}

test('every conformance case has its three files', () => {
  assert.ok(cases.length >= 10, `only ${cases.length} cases`);
  for (const name of cases) for (const f of ['state.json', 'input.jsonl', 'expected-actions.jsonl']) assert.ok(existsSync(join(here, name, f)), `${name}/${f}`);
});
