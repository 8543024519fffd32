// Input: byte strings of every length around the block and padding boundaries, random contents, and the FIPS 180-4
// examples. Output: the same hex digest node:crypto gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { sha256Hex } from '../../../agent/runtime/sha256.js';

const reference = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('the FIPS 180-4 examples', () => {
  assert.equal(sha256Hex(new Uint8Array(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(sha256Hex(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256Hex(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
});

test('every length from 0 to 300 bytes (padding into a second block at 56), and random lengths up to 64 KiB', () => {
  for (let n = 0; n <= 300; n++) {
    const b = randomBytes(n);
    assert.equal(sha256Hex(b), reference(b), `length ${n}`);
  }
  for (let i = 0; i < 30; i++) {
    const b = randomBytes(Math.floor(Math.random() * 65536));
    assert.equal(sha256Hex(b), reference(b), `length ${b.length}`);
  }
});

test('a config file as the agent reads it (with UTF-8 beyond ASCII)', () => {
  const conf = Buffer.from('! café\nvrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 254\n}\n'.repeat(40));
  assert.equal(sha256Hex(conf), reference(conf));
});
