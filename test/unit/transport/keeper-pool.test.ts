// Unit tests for the keeper's host key record (a kept connection is reused only while the known_hosts entries that
// decide its host's verdict are unchanged; checkHostKey depends on nothing else) and its shared known_hosts reads.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashHostName, parseKnownHosts } from '../../../cli/transport/known-hosts.js';
import { hostKeyRecord, SharedReads } from '../../../cli/transport/keeper-pool.js';

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

describe('known_hosts reads shared by the connects of one run', () => {
  function counting() {
    const reads: string[][] = [];
    const pending: (() => void)[] = [];
    const shared = new SharedReads(async (files) => {
      reads.push([...files]);
      await new Promise<void>((r) => pending.push(r));
      return { files: [...files], n: reads.length };
    });
    const finish = async () => {
      for (const r of pending.splice(0)) r();
      await new Promise((r) => setImmediate(r));
    };
    return { shared, reads, finish };
  }

  test('connects that arrive together with the same files share one read', async () => {
    const { shared, reads, finish } = counting();
    const all = Promise.all(Array.from({ length: 40 }, () => shared.get(['/kh'])));
    await finish();
    const stores = await all;
    assert.equal(reads.length, 1);
    assert.ok(stores.every((s) => s === stores[0]));
  });

  test('other file lists are read separately', async () => {
    const { shared, reads, finish } = counting();
    const all = Promise.all([shared.get(['/a']), shared.get(['/b']), shared.get(['/a', '/b']), shared.get(['/a'])]);
    await finish();
    await all;
    assert.deepEqual(reads, [['/a'], ['/b'], ['/a', '/b']]);
  });

  test('a connect after a read finished reads the file again (the next run sees changes)', async () => {
    const { shared, reads, finish } = counting();
    const first = shared.get(['/kh']);
    await finish();
    const a = await first;
    const second = shared.get(['/kh']);
    await finish();
    const b = await second;
    assert.equal(reads.length, 2);
    assert.notEqual(a, b);
  });

  test('a failed read fails its sharers and the next connect reads again', async () => {
    let calls = 0;
    const shared = new SharedReads(async () => {
      calls += 1;
      if (calls === 1) throw new Error('EACCES');
      return calls;
    });
    const results = await Promise.allSettled([shared.get(['/kh']), shared.get(['/kh'])]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.equal(await shared.get(['/kh']), 2);
  });
});
