// Unit tests for known_hosts parsing and host key decisions; vectors come from ssh-keygen (-H hashes, -l fingerprints).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkHostKey,
  fingerprintSha256,
  formatKnownHostsLine,
  hostKeyName,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
} from '../../../cli/transport/known-hosts.js';

const KEY_A = 'AAAAC3NzaC1lZDI1NTE5AAAAIGd6VqrO+Bnvf+94mr1a2cCYVzbJMPAx4FXXNojvphBl';
const KEY_B = 'AAAAC3NzaC1lZDI1NTE5AAAAIMQV1t4VmSZvO1a7yodzuYs+qQA10dr6++bisBaXe3K6';
const KEY_EC =
  'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBBtB++bZwQwkKTbvvmZ/i9Y6ta6M+FGbxaVlcL7O4Dj9Ds1H4ltu4e5xLCjx2VvamzbEYDad9LWRRIWAedaZTKE=';
const blob = (b64: string) => Buffer.from(b64, 'base64');

// `ssh-keygen -H` output for "web1.example.com" and "[10.0.0.5]:2222", both with KEY_A.
const HASHED = [
  `|1|/d5KGvKQBhyn2R3KzrjFy7H9rUk=|h6eWVJtGF4xOuiENdunA1yy0vqQ= ssh-ed25519 ${KEY_A}`,
  `|1|OACEluKGbr/d40daNs3bVCEuwdg=|kc22AFiHAE5TF/VLNM049CXhnEA= ssh-ed25519 ${KEY_A}`,
].join('\n');

describe('known_hosts parsing', () => {
  test('reads plain, hashed, marked and commented lines and points problems at file:line', () => {
    const text = [
      '# comment',
      '',
      `web1,10.0.0.1 ssh-ed25519 ${KEY_A} root@web1`,
      HASHED,
      `@revoked * ssh-ed25519 ${KEY_B}`,
      `@cert-authority *.example.com ssh-ed25519 ${KEY_B}`,
      'broken-line-without-key',
      `web2 ssh-rsa ${KEY_A}`,
      `@weird web3 ssh-ed25519 ${KEY_A}`,
    ].join('\n');
    const { entries, problems } = parseKnownHosts(text, 'kh');
    assert.deepEqual(
      entries.map((e) => [e.line, e.marker, e.hosts.kind, e.keyType]),
      [
        [3, null, 'patterns', 'ssh-ed25519'],
        [4, null, 'hashed', 'ssh-ed25519'],
        [5, null, 'hashed', 'ssh-ed25519'],
        [6, 'revoked', 'patterns', 'ssh-ed25519'],
        [7, 'cert-authority', 'patterns', 'ssh-ed25519'],
      ],
    );
    assert.deepEqual(problems, [
      'kh:8: expected "hosts keytype base64-key"',
      'kh:9: key does not decode as ssh-rsa',
      'kh:10: unknown marker @weird',
    ]);
  });

  test('names a host on port 22 bare and on other ports as [host]:port', () => {
    assert.equal(hostKeyName('web1', 22), 'web1');
    assert.equal(hostKeyName('10.0.0.5', 2222), '[10.0.0.5]:2222');
  });

  test('computes the same SHA256 fingerprints as ssh-keygen -l', () => {
    assert.equal(fingerprintSha256(blob(KEY_A)), 'SHA256:yEFmt8fNTZybPEscxCVCJadhEFZicE0XB+5DoPoojFY');
    assert.equal(fingerprintSha256(blob(KEY_EC)), 'SHA256:X+PbM8CIF5vANqXabIPh4q3ie1a0hYwKJ9lurqKn+mA');
  });
});

describe('host key decisions', () => {
  const { entries } = parseKnownHosts(HASHED, 'kh');

  test('trusts a key recorded under a hashed host name, with and without a port', () => {
    assert.equal(checkHostKey(entries, 'web1.example.com', 22, blob(KEY_A)).kind, 'trusted');
    assert.equal(checkHostKey(entries, '10.0.0.5', 2222, blob(KEY_A)).kind, 'trusted');
  });

  test('does not let a hashed entry for one port vouch for another port', () => {
    assert.equal(checkHostKey(entries, '10.0.0.5', 22, blob(KEY_A)).kind, 'unknown');
  });

  test('reports a different key for a known host as changed, with both fingerprints and the line', () => {
    const v = checkHostKey(entries, 'web1.example.com', 22, blob(KEY_B));
    assert.equal(v.kind, 'changed');
    assert.ok(v.kind === 'changed');
    assert.equal(v.offered.fingerprint, 'SHA256:+OMnlItVsS8gfx09p0ecRJSGXG9lsFbKOCX7hGH7C1w');
    assert.deepEqual(v.known, [{ type: 'ssh-ed25519', fingerprint: 'SHA256:yEFmt8fNTZybPEscxCVCJadhEFZicE0XB+5DoPoojFY', source: 'kh', line: 1 }]);
  });

  test('treats a host known only under another key type as changed, not as new', () => {
    const v = checkHostKey(entries, 'web1.example.com', 22, blob(KEY_EC));
    assert.equal(v.kind, 'changed');
  });

  test('refuses a revoked key even when the host also lists it as trusted', () => {
    const { entries: es } = parseKnownHosts(`web1 ssh-ed25519 ${KEY_A}\n@revoked * ssh-ed25519 ${KEY_A}\n`, 'kh');
    const v = checkHostKey(es, 'web1', 22, blob(KEY_A));
    assert.equal(v.kind, 'revoked');
    assert.ok(v.kind === 'revoked' && v.entry.line === 2);
  });

  test('matches wildcard patterns, case-insensitively, and lets a negated pattern veto the line', () => {
    const { entries: es } = parseKnownHosts(`*.example.com,!db.example.com,[10.0.0.?]:2222 ssh-ed25519 ${KEY_A}\n`, 'kh');
    assert.equal(checkHostKey(es, 'WEB.example.com', 22, blob(KEY_A)).kind, 'trusted');
    assert.equal(checkHostKey(es, 'db.example.com', 22, blob(KEY_A)).kind, 'unknown');
    assert.equal(checkHostKey(es, '10.0.0.7', 2222, blob(KEY_A)).kind, 'trusted');
    assert.equal(checkHostKey(es, '10.0.0.17', 2222, blob(KEY_A)).kind, 'unknown');
    assert.equal(checkHostKey(es, 'example.com', 22, blob(KEY_A)).kind, 'unknown');
  });

  test('ignores @cert-authority lines, since host certificates are not supported', () => {
    const { entries: es } = parseKnownHosts(`@cert-authority web1 ssh-ed25519 ${KEY_A}\n`, 'kh');
    assert.equal(checkHostKey(es, 'web1', 22, blob(KEY_A)).kind, 'unknown');
  });

  test('reads back a trust-on-first-use line as trusted', () => {
    const line = formatKnownHostsLine('127.0.0.1', 2200, blob(KEY_EC));
    assert.equal(line, `[127.0.0.1]:2200 ecdsa-sha2-nistp256 ${KEY_EC}\n`);
    assert.equal(checkHostKey(parseKnownHosts(line, 'kh').entries, '127.0.0.1', 2200, blob(KEY_EC)).kind, 'trusted');
  });
});

describe('host key algorithm order', () => {
  const supported = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

  test('puts the types on record for the host first, keeping the default order otherwise', () => {
    const { entries } = parseKnownHosts(`web1 ecdsa-sha2-nistp256 ${KEY_EC}\n`, 'kh');
    assert.deepEqual(preferredHostKeyAlgorithms(entries, 'web1', 22, supported), [
      'ecdsa-sha2-nistp256', 'ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
    ]);
    assert.deepEqual(preferredHostKeyAlgorithms(entries, 'other', 22, supported), supported);
  });
});
