// Input: a sync group, its members' router states and one member's transition. Output: the events that move the other members, and the group notify.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { step, type VirtualRouter } from '../../../../agent/vrrp/fsm.js';
import { groupStateOf, syncGroupStep, type SyncGroup } from '../../../../agent/vrrp/sync-group.js';
import { backup, master } from './fsm-helpers.js';

const group: SyncGroup = { name: 'G', members: ['A', 'B'], state: 'backup' };

test('one member going master pulls the other backups to master', () => {
  const routers = { A: master({ name: 'A' }), B: backup({ name: 'B' }) };
  const r = syncGroupStep(group, routers, 'A', { from: 'backup', to: 'master', reason: 'master-down-timer' });
  assert.deepEqual(r.forced, [{ instance: 'B', event: { type: 'sync-master' } }]);
  assert.equal(r.notify, 'master');
});

test('a master falling back to backup takes the other masters with it', () => {
  const routers = { A: backup({ name: 'A' }), B: master({ name: 'B' }) };
  const r = syncGroupStep({ ...group, state: 'master' }, routers, 'A', { from: 'master', to: 'backup', reason: 'higher-priority-advert' });
  assert.deepEqual(r.forced, [{ instance: 'B', event: { type: 'sync-backup' } }]);
  assert.equal(r.notify, 'backup');
});

test('forced transitions are not propagated again', () => {
  const routers = { A: master({ name: 'A' }), B: master({ name: 'B' }) };
  const r = syncGroupStep({ ...group, state: 'master' }, routers, 'B', { from: 'backup', to: 'master', reason: 'sync-group' });
  assert.deepEqual(r.forced, []);
  assert.equal(r.notify, null);
});

test('a fault in one member faults the others until it clears, then all come back', () => {
  const faulty = step(master({ name: 'A' }), { type: 'fault', source: 'script:chk' }, 9000).vr;
  const routers: Record<string, VirtualRouter> = { A: faulty, B: master({ name: 'B' }) };
  const r = syncGroupStep({ ...group, state: 'master' }, routers, 'A', { from: 'master', to: 'fault', reason: 'check-failed' });
  assert.deepEqual(r.forced, [{ instance: 'B', event: { type: 'fault', source: 'sync-group:G' } }]);
  assert.equal(r.notify, 'fault');
  // B follows; then A recovers and B's group fault is lifted.
  const b = step(routers.B as VirtualRouter, { type: 'fault', source: 'sync-group:G' }, 9001).vr;
  assert.equal(b.state, 'fault');
  const a = step(faulty, { type: 'fault-cleared', source: 'script:chk' }, 12000).vr;
  const back = syncGroupStep(r.group, { A: a, B: b }, 'A', { from: 'fault', to: 'backup', reason: 'fault-cleared' });
  assert.deepEqual(back.forced, [{ instance: 'B', event: { type: 'fault-cleared', source: 'sync-group:G' } }]);
  assert.equal(back.notify, 'backup');
});

test('the group state summarises member states', () => {
  assert.equal(groupStateOf(['master', 'master']), 'master');
  assert.equal(groupStateOf(['master', 'backup']), 'backup');
  assert.equal(groupStateOf(['backup', 'fault']), 'fault');
  assert.equal(groupStateOf(['initialize']), null);
});
