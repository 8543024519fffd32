// Input: the lab's hosts and key paths. Output: known_hosts text and the inventory fragment.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { inventoryFragment, knownHostsText, type AccessLab } from '../../../cli/lab/access.js';

const lab: AccessLab = {
  name: 'lab',
  subnet: '10.254.0.0/24',
  workstation: '10.254.0.1',
  bridge: 'hb-lab',
  keyPath: '/var/lib/haup/lab/lab/id_ed25519',
  knownHostsPath: '/var/lib/haup/lab/lab/known_hosts',
  hosts: [
    { name: 'h1', address: '10.254.0.11', hostKeyPub: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA1 root@h1' },
    { name: 'h2', address: '10.254.0.12', hostKeyPub: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2 root@h2\n' },
  ],
};

describe('lab access files', () => {
  test('known_hosts has one "address type key" line per host without comments', () => {
    assert.equal(
      knownHostsText(lab.hosts),
      '10.254.0.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA1\n10.254.0.12 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2\n',
    );
  });

  test('refuses a host key line that has no key', () => {
    assert.throws(() => knownHostsText([{ name: 'h1', address: '10.254.0.11', hostKeyPub: 'garbage' }]), /host key of h1/);
  });

  test('the inventory fragment is YAML with ssh defaults and every host address', () => {
    const doc = parse(inventoryFragment(lab)) as {
      defaults: { ssh: Record<string, unknown> };
      hosts: Record<string, { address: string }>;
    };
    assert.deepEqual(doc.defaults.ssh, {
      user: 'root',
      port: 22,
      key: '/var/lib/haup/lab/lab/id_ed25519',
      known_hosts: '/var/lib/haup/lab/lab/known_hosts',
    });
    assert.deepEqual(doc.hosts, { h1: { address: '10.254.0.11' }, h2: { address: '10.254.0.12' } });
  });

  test('the inventory fragment shows how to use the first two hosts as a pair', () => {
    assert.match(inventoryFragment(lab), /master: \{ host: 10\.254\.0\.11 \}, backup: \{ host: 10\.254\.0\.12 \}/);
  });
});
