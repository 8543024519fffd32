// Input: a comment. Output: an Ed25519 key pair in OpenSSH formats whose halves belong together.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ssh2 from 'ssh2';
import { generateEd25519 } from '../../../cli/lab/keys.js';

describe('lab keys', () => {
  test('makes an unencrypted OpenSSH ed25519 private key and its public line with the comment', () => {
    const pair = generateEd25519('root@h1');
    assert.match(pair.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    assert.match(pair.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\S+ root@h1$/);
    const parsed = ssh2.utils.parseKey(pair.privateKey);
    assert.ok(!(parsed instanceof Error) && !Array.isArray(parsed));
    assert.equal(parsed.getPublicSSH().toString('base64'), pair.publicKey.split(' ')[1]);
  });

  test('makes a different key each time', () => {
    assert.notEqual(generateEd25519('a').publicKey.split(' ')[1], generateEd25519('a').publicKey.split(' ')[1]);
  });
});
