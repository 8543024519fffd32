// Input: the lab inventory and what each node answered. Output: the status report, its problems and its table.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ago, formatStatus, statusReport, type HostAnswer } from '../../../cli/status/report.js';
import { facts, labModel } from '../verify/node-fixtures.js';

const model = await labModel();
const now = Date.parse('2026-01-01T00:00:42.000Z');
const answers = (h1: HostAnswer, h2: HostAnswer) => new Map([['h1', h1], ['h2', h2]]);

describe('statusReport', () => {
  test('shows who holds the VIP, from the addresses, with each agent state and last transition', () => {
    const r = statusReport(model, model.pairs, answers({ ok: true, facts: facts({ state: 'MASTER', vip: true, pid: 11 }) }, { ok: true, facts: facts({ state: 'BACKUP', pid: 22, effectivePriority: 99 }) }));
    assert.equal(r.ok, true);
    const p = r.pairs[0];
    assert.equal(p?.holder, 'h1');
    assert.deepEqual(p?.nodes.map((n) => [n.host, n.state, n.agent.pid, n.vipsHeld]), [['h1', 'MASTER', 11, ['10.254.0.100']], ['h2', 'BACKUP', 22, []]]);
    const lines = formatStatus(r, now);
    assert.equal(lines[0], 'pair web (VRID 51, 10.254.0.100): ok — h1 holds 10.254.0.100');
    assert.match(lines[2] ?? '', /^ {2}h1 \(10\.254\.0\.11\) +master +running \(pid 11\) +0\.1\.0 +MASTER +100 +10\.254\.0\.100 +BACKUP->MASTER master-down-timer, 42s ago$/);
    assert.equal(lines.at(-1), '1 pair(s) ok');
  });
  test('fails split brain: both nodes hold the VIP', () => {
    const r = statusReport(model, model.pairs, answers({ ok: true, facts: facts({ state: 'MASTER', vip: true }) }, { ok: true, facts: facts({ state: 'MASTER', vip: true }) }));
    assert.equal(r.ok, false);
    assert.deepEqual(r.pairs[0]?.problems.map((p) => p.message), ['split brain: 10.254.0.100 is held by h1 and h2']);
    assert.equal(r.pairs[0]?.holder, null);
    assert.ok(formatStatus(r, now).includes('  problem: split brain: 10.254.0.100 is held by h1 and h2'));
  });
  test('fails no holder even when an agent claims MASTER, since the VIP is not on its interface', () => {
    const r = statusReport(model, model.pairs, answers({ ok: true, facts: facts({ state: 'MASTER', vip: false }) }, { ok: true, facts: facts({ state: 'BACKUP' }) }));
    assert.deepEqual(r.pairs[0]?.problems.map((p) => p.kind), ['no-holder']);
  });
  test('shows a stopped agent and an unreachable node with the reason', () => {
    const r = statusReport(model, model.pairs, answers({ ok: true, facts: facts({ state: 'MASTER', vip: true }) }, { ok: false, error: 'h2: connection refused' }));
    assert.deepEqual(r.pairs[0]?.problems.map((p) => p.message), ['h2: unreachable over SSH']);
    const lines = formatStatus(r, now);
    assert.ok(lines.some((l) => /h2 \(10\.254\.0\.12\) +backup +UNREACHABLE/.test(l)));
    assert.ok(lines.includes('  h2: h2: connection refused'));
    const down = statusReport(model, model.pairs, answers({ ok: true, facts: facts({ state: 'MASTER', vip: true }) }, { ok: true, facts: facts({ running: false }) }));
    assert.ok(formatStatus(down, now).some((l) => /h2 .* NOT RUNNING +- +- +- +- +-$/.test(l)));
  });
  test('infers the state of keepalived nodes from the VIPs', () => {
    const ka = { ...model, hosts: model.hosts.map((h) => ({ ...h, engine: 'keepalived' as const })) };
    const r = statusReport(ka, ka.pairs, answers({ ok: true, facts: { ...facts({ vip: true }), status: null } }, { ok: true, facts: { ...facts({}), status: null } }));
    assert.deepEqual(r.pairs[0]?.nodes.map((n) => [n.state, n.stateSource]), [['MASTER', 'vips'], ['BACKUP', 'vips']]);
    assert.ok(formatStatus(r, now).some((l) => l.includes('MASTER (from VIPs)')));
  });
  test('says how long ago in the largest sensible unit', () => {
    assert.deepEqual(['2026-01-01T00:00:00Z', '2025-12-31T23:50:00Z', '2025-12-31T20:00:42Z', '2025-12-20T00:00:00Z', 'bad'].map((t) => ago(t, now)), ['42s ago', '10m ago', '4h ago', '12d ago', 'bad']);
  });
});
