// Input: a lab's shape or what `ip -j` lists. Output: the `ip -batch` lines that build or remove it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ownNamespaces, parseLinkNames, parseNetnsList, setupBatch, teardownBatch } from '../../../cli/lab/net-plan.js';

describe('lab network plan', () => {
  test('builds namespaces, a bridge with the workstation address, and a veth per host', () => {
    const lines = setupBatch({ lab: 't1', hosts: 2, workstation: '10.254.1.1', prefix: 24 }).trimEnd().split('\n');
    assert.deepEqual(lines, [
      'netns add haup-t1-h1',
      'netns add haup-t1-h2',
      'link add hb-t1 type bridge mcast_snooping 0 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0',
      'addr add 10.254.1.1/24 dev hb-t1',
      'link set hb-t1 up',
      'link add hv-t1-1 type veth peer name eth0 netns haup-t1-h1',
      'link set hv-t1-1 master hb-t1 up',
      'link add hv-t1-2 type veth peer name eth0 netns haup-t1-h2',
      'link set hv-t1-2 master hb-t1 up',
    ]);
  });

  test('removes only what carries the lab name: veths, then the bridge, then namespaces', () => {
    const batch = teardownBatch(
      't1',
      ['haup-t1-h2', 'haup-t10-h1', 'haup-t1-h1', 'other'],
      ['lo', 'eth0', 'hb-t1', 'hv-t1-1', 'hv-t10-1', 'hb-t10', 'hv-t1-2'],
    );
    assert.equal(batch, 'link del hv-t1-1\nlink del hv-t1-2\nlink del hb-t1\nnetns del haup-t1-h1\nnetns del haup-t1-h2\n');
  });

  test('plans nothing when nothing of the lab exists', () => {
    assert.equal(teardownBatch('t1', ['haup-t2-h1'], ['lo', 'hb-t2']), '');
  });

  test('orders namespaces by host number, not as text', () => {
    assert.deepEqual(ownNamespaces('t1', ['haup-t1-h10', 'haup-t1-h9', 'haup-t1-h1']), ['haup-t1-h1', 'haup-t1-h9', 'haup-t1-h10']);
  });

  test('parses ip -j netns list and ip -j link show, including empty output', () => {
    assert.deepEqual(parseNetnsList('[{"name":"haup-t1-h2","id":1},{"name":"haup-t1-h1"}]\n'), ['haup-t1-h2', 'haup-t1-h1']);
    assert.deepEqual(parseNetnsList(''), []);
    assert.deepEqual(parseNetnsList('[]\n'), []);
    assert.deepEqual(parseLinkNames('[{"ifindex":1,"ifname":"lo"},{"ifindex":7,"ifname":"hv-t1-1","link_index":2}]'), ['lo', 'hv-t1-1']);
  });
});
