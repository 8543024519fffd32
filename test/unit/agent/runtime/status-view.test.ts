// Input: a running instance's config, router state and counters. Output: its status file record and the `haup-agent status` table.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRouter, step } from '../../../../agent/vrrp/fsm.js';
import { routerConfig } from '../../../../agent/vrrp/instance.js';
import { formatStatus, instanceStatus } from '../../../../agent/runtime/status-view.js';
import type { AgentStatus } from '../../../../agent/status.js';
import { BASIC, instance } from './support.js';

const inst = instance(BASIC);
const started = step(createRouter(routerConfig(inst, '10.0.0.2')), { type: 'startup' }, 0).vr;
const master = step(started, { type: 'master-down-timer' }, 3700).vr;

describe('instanceStatus', () => {
  test('shows a backup with the master it hears, its VIPs and counters', () => {
    const vr = step(started, { type: 'advert', src: '10.0.0.1', priority: 150, intervalCs: 100 }, 500).vr;
    const s = instanceStatus({ cfg: inst, vr, stopped: false, vipsHeld: false, lastTransitionAt: '2026-01-01T00:00:00.000Z', counters: { received: 1 }, tracks: [] });
    assert.equal(s.state, 'BACKUP');
    assert.equal(s.masterSeen, '10.0.0.1');
    assert.deepEqual(s.vips, ['10.0.0.100/24']);
    assert.deepEqual(s.lastTransition, { from: 'INIT', to: 'BACKUP', reason: 'startup', at: '2026-01-01T00:00:00.000Z' });
    assert.deepEqual([s.priority, s.effectivePriority, s.advertIntervalMs, s.preempt], [100, 100, 1000, true]);
  });

  test('shows STOP once the agent stopped the instance', () => {
    const down = step(master, { type: 'shutdown' }, 4000).vr;
    const s = instanceStatus({ cfg: inst, vr: down, stopped: true, vipsHeld: false, lastTransitionAt: null, counters: {}, tracks: [] });
    assert.equal(s.state, 'STOP');
    assert.deepEqual(s.lastTransition && [s.lastTransition.from, s.lastTransition.to, s.lastTransition.reason], ['MASTER', 'STOP', 'shutdown']);
  });
});

describe('formatStatus', () => {
  const status = (): AgentStatus => ({
    agent: 'haup-agent',
    version: '0.1.0',
    pid: 42,
    node: 'h1',
    configFile: '/etc/haup/keepalived.conf',
    configHash: 'x',
    startedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:01:00.000Z',
    instances: [
      instanceStatus({ cfg: inst, vr: master, stopped: false, vipsHeld: true, lastTransitionAt: '2026-01-01T00:00:04.000Z', counters: {}, tracks: [{ name: 'eth0', kind: 'interface', healthy: true }] }),
    ],
  });

  test('prints one row per instance with state, priorities, held VIPs and the last transition', () => {
    const text = formatStatus(status(), new Date('2026-01-01T00:01:02.000Z'), true);
    assert.match(text, /^haup-agent 0\.1\.0 \(pid 42\) on h1: \/etc\/haup\/keepalived\.conf/);
    assert.match(text, /VI_1 \(vrid 51 eth0 v2\)\s+MASTER\s+100\/100\s+10\.0\.0\.100\/24\*\s+\(self\)\s+BACKUP->MASTER master-down-timer 58s ago/);
  });

  test('says so when the agent that wrote the file is gone', () => {
    assert.match(formatStatus(status(), new Date(), false), /^haup-agent is NOT running \(pid 42 is gone\)/);
  });
});
