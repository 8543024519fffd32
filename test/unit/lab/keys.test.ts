// Input: key bytes or a comment. Output: OpenSSH key files whose halves belong together.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ssh2 from 'ssh2';
import { encodeOpensshEd25519, generateEd25519 } from '../../../cli/lab/keys.js';

/** The private section of an unencrypted openssh-key-v1 file, decoded by hand. */
function privateSection(file: string): { check1: number; check2: number; pub: Buffer; priv: Buffer; comment: string; padding: Buffer } {
  const body = Buffer.from(file.split('\n').filter((l) => l && !l.startsWith('-----')).join(''), 'base64');
  let off = 'openssh-key-v1\0'.length;
  const str = () => {
    const len = body.readUInt32BE(off);
    const out = body.subarray(off + 4, off + 4 + len);
    off += 4 + len;
    return out;
  };
  str(); // cipher
  str(); // kdf
  str(); // kdf options
  off += 4; // key count
  str(); // public blob
  const section = str();
  let s = 0;
  const sstr = () => {
    const len = section.readUInt32BE(s);
    const out = section.subarray(s + 4, s + 4 + len);
    s += 4 + len;
    return out;
  };
  const check1 = section.readUInt32BE(0);
  const check2 = section.readUInt32BE(4);
  s = 8;
  sstr(); // type
  const pub = sstr();
  const priv = sstr();
  const comment = sstr().toString();
  return { check1, check2, pub, priv, comment, padding: section.subarray(s) };
}

describe('lab keys', () => {
  test('keeps a public key that starts with a zero byte at 32 bytes (ssh2 1.17 drops it)', () => {
    const pub = Buffer.alloc(32, 7);
    pub[0] = 0;
    const pair = encodeOpensshEd25519(Buffer.alloc(32, 0), pub, 'root@h1', 0x01020304);
    const blob = Buffer.from(pair.publicKey.split(' ')[1]!, 'base64');
    assert.equal(blob.length, 4 + 11 + 4 + 32);
    const section = privateSection(pair.privateKey);
    assert.equal(section.pub.length, 32);
    assert.equal(section.priv.length, 64);
    assert.deepEqual(section.priv.subarray(32), pub);
  });

  test('writes equal check ints, the comment and 1, 2, 3... padding to a multiple of 8', () => {
    const pair = encodeOpensshEd25519(Buffer.alloc(32, 1), Buffer.alloc(32, 2), 'root@h1', 0xdeadbeef);
    const section = privateSection(pair.privateKey);
    assert.equal(section.check1, 0xdeadbeef);
    assert.equal(section.check2, 0xdeadbeef);
    assert.equal(section.comment, 'root@h1');
    assert.deepEqual([...section.padding], Array.from({ length: section.padding.length }, (_, i) => i + 1));
    assert.match(pair.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n([A-Za-z0-9+/=]{1,70}\n)+-----END OPENSSH PRIVATE KEY-----\n$/);
    assert.match(pair.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\S+ root@h1$/);
  });

  test('a generated private key signs what its public key verifies, also as ssh2 reads them', () => {
    const pair = generateEd25519('root@h2');
    const section = privateSection(pair.privateKey);
    const jwk = { kty: 'OKP', crv: 'Ed25519', d: section.priv.subarray(0, 32).toString('base64url'), x: section.pub.toString('base64url') };
    const key = createPrivateKey({ key: jwk, format: 'jwk' });
    const signature = sign(null, Buffer.from('haup'), key);
    assert.ok(verify(null, Buffer.from('haup'), createPublicKey(key), signature));
    const parsed = ssh2.utils.parseKey(pair.privateKey);
    assert.ok(!(parsed instanceof Error) && !Array.isArray(parsed));
    assert.equal(parsed.getPublicSSH().toString('base64'), pair.publicKey.split(' ')[1]);
    assert.ok(parsed.verify(Buffer.from('haup'), parsed.sign(Buffer.from('haup'))));
  });

  test('makes a different key each time', () => {
    assert.notEqual(generateEd25519('a').publicKey, generateEd25519('a').publicKey);
  });

  test('the public half is the one the seed derives', () => {
    for (let i = 0; i < 20; i++) {
      const section = privateSection(generateEd25519('x').privateKey);
      const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: section.priv.subarray(0, 32).toString('base64url'), x: section.pub.toString('base64url') }, format: 'jwk' });
      assert.deepEqual(createPublicKey(key).export({ type: 'spki', format: 'der' }).subarray(-32), section.pub);
      assert.deepEqual(section.priv.subarray(32), section.pub, 'the private section ends with the public key, as OpenSSH writes it');
    }
  });

  test('thousands of keys in one process do not hang (JWK export deadlocked Node 20 within a few thousand)', async () => {
    // In a child process with a time limit: a deadlocked main thread would otherwise hang the test run. A 1 MiB
    // young generation means many scavenges: with JWK export 5 of 6 such runs hung.
    const keys = fileURLToPath(new URL('../../../cli/lab/keys.ts', import.meta.url));
    const script = `const { generateEd25519 } = await import(${JSON.stringify(keys)}); for (let i = 0; i < 5000; i++) generateEd25519('h' + i); console.log('done');`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--max-semi-space-size=1', '--import', 'tsx', '--input-type=module', '--eval', script], { timeout: 20_000, killSignal: 'SIGKILL' });
    assert.equal(stdout.trim(), 'done');
  });
});
