// Unit tests for the keeper's host key record: a kept connection is reused only while the known_hosts entries that
// decide its host's verdict are unchanged (checkHostKey depends on nothing else).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashHostName, parseKnownHosts } from '../../../cli/transport/known-hosts.js';
import { hostKeyRecord } from '../../../cli/transport/keeper-pool.js';

const KEY_A = 'AAAAC3NzaC1lZDI1NTE5AAAAIGd6VqrO+Bnvf+94mr1a2cCYVzbJMPAx4FXXNojvphBl';
const KEY_B = 'AAAAC3NzaC1lZDI1NTE5AAAAIMQV1t4VmSZvO1a7yodzuYs+qQA10dr6++bisBaXe3K6';
const record = (text: string, host = '10.0.0.5', port = 22) => hostKeyRecord(parseKnownHosts(text, 'kh').entries, host, port);

describe('host key record', () => {
  const base = [`10.0.0.5 ssh-ed25519 ${KEY_A}`, `10.0.0.6 ssh-ed25519 ${KEY_B}`].join('\n');

  test('ignores other hosts, comments, line order and which file a line is in', () => {
    const r = record(base);
    assert.notEqual(r, '');
    assert.equal(record([`# moved`, `10.0.0.6 ssh-ed25519 ${KEY_A}`, `10.0.0.7 ssh-ed25519 ${KEY_B}`, '', `10.0.0.5 ssh-ed25519 ${KEY_A}`].join('\n')), r);
    assert.equal(hostKeyRecord(parseKnownHosts(base, 'other-file').entries, '10.0.0.5', 22), r);
  });

  test('changes when the host\'s key changes, is removed, gains a second key or is revoked', () => {
    const r = record(base);
    assert.notEqual(record(`10.0.0.5 ssh-ed25519 ${KEY_B}`), r);
    assert.equal(record(`10.0.0.6 ssh-ed25519 ${KEY_B}`), '');
    assert.notEqual(record(`${base}\n10.0.0.5 ssh-ed25519 ${KEY_B}`), r);
    assert.notEqual(record(`${base}\n@revoked * ssh-ed25519 ${KEY_A}`), r);
  });

  test('matches hashed names and port-qualified names like OpenSSH', () => {
    const salt = Buffer.alloc(20, 7);
    const hashed = `|1|${salt.toString('base64')}|${hashHostName('[10.0.0.5]:2222', salt).toString('base64')} ssh-ed25519 ${KEY_A}`;
    assert.equal(record(hashed, '10.0.0.5', 2222), record(`[10.0.0.5]:2222 ssh-ed25519 ${KEY_A}`, '10.0.0.5', 2222));
    assert.equal(record(hashed, '10.0.0.5', 22), '');
  });

  test('leaves out @cert-authority lines, which the connection never used', () => {
    assert.equal(record(`${base}\n@cert-authority * ssh-ed25519 ${KEY_B}`), record(base));
  });
});
