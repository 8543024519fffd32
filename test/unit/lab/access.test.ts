// Input: the lab's hosts and their public host keys. Output: known_hosts text.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { knownHostsText, type AccessHost } from '../../../cli/lab/access.js';

const hosts: AccessHost[] = [
  { name: 'h1', address: '10.254.0.11', hostKeyPub: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA1 root@h1' },
  { name: 'h2', address: '10.254.0.12', hostKeyPub: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2 root@h2\n' },
];

describe('lab access files', () => {
  test('known_hosts has one "address type key" line per host without comments', () => {
    assert.equal(
      knownHostsText(hosts),
      '10.254.0.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA1\n10.254.0.12 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2\n',
    );
  });

  test('refuses a host key line that has no key', () => {
    assert.throws(() => knownHostsText([{ name: 'h1', address: '10.254.0.11', hostKeyPub: 'garbage' }]), /host key of h1/);
  });
});
