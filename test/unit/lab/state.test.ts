// Input: state.json text. Output: a lab state, or a message saying what is wrong with it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabState, type LabState } from '../../../cli/lab/state.js';

const state: LabState = {
  version: 1,
  name: 't1',
  phase: 'up',
  subnet: '10.254.1.0/24',
  prefix: 24,
  workstation: '10.254.1.1',
  bridge: 'hb-t1',
  createdAt: '2025-01-01T00:00:00.000Z',
  hosts: [{ index: 1, name: 'h1', address: '10.254.1.11', ns: 'haup-t1-h1', veth: 'hv-t1-1', sshdPid: 42, nginxPid: 43 }],
};

describe('lab state file', () => {
  test('round-trips through JSON', () => {
    assert.deepEqual(parseLabState(JSON.stringify(state)), state);
  });

  test('accepts a half-written state without pids (up failed midway)', () => {
    const partial = { ...state, phase: 'creating', hosts: [{ index: 1, name: 'h1', address: '10.254.1.11', ns: 'haup-t1-h1', veth: 'hv-t1-1' }] };
    assert.equal(typeof parseLabState(JSON.stringify(partial)), 'object');
  });

  test('says which field is wrong', () => {
    assert.match(parseLabState(JSON.stringify({ ...state, hosts: [{ ...state.hosts[0], sshdPid: -1 }] })) as string, /hosts\.0\.sshdPid/);
    assert.match(parseLabState(JSON.stringify({ ...state, version: 2 })) as string, /version/);
    assert.match(parseLabState('{') as string, /not JSON/);
  });
});
