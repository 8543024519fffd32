// Unit tests for the SSH keeper's wire format: messages with Buffers and Maps round-trip, errors keep what users see,
// bad input decodes to a DecodeError (never a throw), lines survive any chunking, and connection identity keys.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatError, HaupError } from '../../../cli/errors.js';
import {
  connectionKey,
  decodeError,
  decodeRequest,
  decodeResponse,
  DecodeError,
  encodeError,
  encodeMessage,
  LineSplitter,
  type KeeperSshOptions,
  type KeeperTarget,
} from '../../../cli/transport/keeper-protocol.js';
import { commandFailedError } from '../../../cli/transport/transport.js';

const line = (s: string) => s.replace(/\n$/, '');

describe('keeper messages', () => {
  test('a putFiles request round-trips with binary content, modes and options', () => {
    const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 0x7b]);
    const text = encodeMessage({ id: 7, op: 'putFiles', handle: 3, files: [{ path: '/opt/haup/x.node', content: bytes, mode: 0o755, owner: '0:0' }, { path: '/etc/a', content: 'text\n', mode: 0o600 }], opts: { backupSuffix: '.prev' } });
    assert.equal(text.endsWith('\n'), true);
    assert.equal(text.indexOf('\n'), text.length - 1, 'one message is one line');
    const req = decodeRequest(line(text));
    assert.ok(!(req instanceof DecodeError));
    assert.equal(req.op, 'putFiles');
    if (req.op !== 'putFiles') return;
    assert.ok(Buffer.isBuffer(req.files[0]?.content));
    assert.deepEqual(req.files[0]?.content, bytes);
    assert.equal(req.files[1]?.content, 'text\n');
    assert.deepEqual(req.opts, { backupSuffix: '.prev' });
  });

  test('an exec request keeps an argv command and a Buffer stdin, and drops undefined options', () => {
    const req = decodeRequest(line(encodeMessage({ id: 1, op: 'exec', handle: 1, cmd: ['sh', '-c', 'cat'], opts: { stdin: Buffer.from('hi'), timeoutMs: undefined, sudo: false } })));
    assert.ok(!(req instanceof DecodeError) && req.op === 'exec');
    assert.deepEqual(req.cmd, ['sh', '-c', 'cat']);
    assert.deepEqual(req.opts, { stdin: Buffer.from('hi'), sudo: false });
  });

  test('a statFiles answer comes back as a Map and a get answer as a Buffer or null', () => {
    const facts = new Map([['/etc/a', { path: '/etc/a', exists: false }], ['/etc/b', { path: '/etc/b', exists: true, sha256: null, size: 3 }]]);
    const r = decodeResponse(line(encodeMessage({ id: 2, ok: true, value: facts })));
    assert.ok(!(r instanceof DecodeError) && r.ok);
    assert.ok(r.value instanceof Map);
    assert.deepEqual(r.value, facts);
    const g = decodeResponse(line(encodeMessage({ id: 3, ok: true, value: Buffer.from('abc') })));
    assert.ok(!(g instanceof DecodeError) && g.ok);
    assert.deepEqual(g.value, Buffer.from('abc'));
    const n = decodeResponse(line(encodeMessage({ id: 4, ok: true, value: null })));
    assert.ok(!(n instanceof DecodeError) && n.ok && n.value === null);
  });

  test('a string that looks like base64 stays a string', () => {
    const r = decodeResponse(line(encodeMessage({ id: 1, ok: true, value: { stdout: 'AAAA', stderr: '', code: 0, $b64: 'x' } })));
    assert.ok(!(r instanceof DecodeError) && r.ok);
    assert.deepEqual(r.value, { stdout: 'AAAA', stderr: '', code: 0, $b64: 'x' });
  });
});

describe('keeper errors', () => {
  test('a HaupError arrives with the same code, message, hint, details and formatted text', () => {
    const err = new HaupError('HAUP_SSH_HOSTKEY_CHANGED', 'the host key of 10.0.0.5:22 changed', {
      hint: 'remove the old key with ssh-keygen -R',
      details: ['offered: ED25519 SHA256:abc', 'known: kh:3'],
      cause: new Error('hostVerifier refused'),
    });
    const wire = decodeResponse(line(encodeMessage({ id: 9, ok: false, error: encodeError(err) })));
    assert.ok(!(wire instanceof DecodeError) && !wire.ok);
    const back = decodeError(wire.error);
    assert.ok(back instanceof HaupError);
    assert.equal(back.code, err.code);
    assert.equal(back.exitCode, err.exitCode);
    assert.equal(formatError(back, { verbose: false, color: false }), formatError(err, { verbose: false, color: false }));
    assert.match(formatError(back, { verbose: true, color: false }), /cause: Error: hostVerifier refused/);
  });

  test('a failed remote command keeps its short and long form', () => {
    const err = commandFailedError('h1 (root@10.0.0.5:22)', ['systemctl', 'restart', 'x'], { code: 5, stdout: '', stderr: 'a\nb\n' });
    const back = decodeError(encodeError(err));
    assert.equal(formatError(back, { verbose: false, color: false }), formatError(err, { verbose: false, color: false }));
  });

  test('a caller bug stays a TypeError and anything else says it came from the keeper', () => {
    const t = decodeError(encodeError(new TypeError('remote path must be absolute')));
    assert.ok(t instanceof TypeError);
    assert.equal(t.message, 'remote path must be absolute');
    const e = decodeError(encodeError(new RangeError('boom')));
    assert.ok(!(e instanceof HaupError));
    assert.equal(e.message, 'SSH keeper: boom');
  });
});

describe('keeper decoding of bad input', () => {
  test('rejects non-JSON, non-objects, a missing id, an unknown op and a call without a handle', () => {
    const cases: Array<[string, RegExp]> = [
      ['{', /not JSON/],
      ['[1]', /not a JSON object/],
      ['{"op":"hello"}', /missing numeric id/],
      ['{"id":1,"op":"rm-rf"}', /unknown op "rm-rf"/],
      ['{"id":1,"op":"exec","cmd":"true"}', /exec: missing handle/],
    ];
    for (const [text, why] of cases) {
      const r = decodeRequest(text);
      assert.ok(r instanceof DecodeError, text);
      assert.match(r.message, why);
    }
    assert.ok(decodeResponse('{"id":1}') instanceof DecodeError);
  });

  test('random text decodes to a message or a DecodeError, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ id: 1, op: 'exec', handle: 1, x: v }))), (s) => {
        decodeRequest(s);
        decodeResponse(s);
      }),
      { numRuns: 500 },
    );
  });
});

describe('keeper line splitting', () => {
  test('gives the same lines however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }).map((s) => s.replace(/\n/g, ' ')), { maxLength: 6 }), fc.array(fc.nat(40), { maxLength: 8 }), (lines, cuts) => {
        const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
        const s = new LineSplitter();
        const got: string[] = [];
        let at = 0;
        for (const c of cuts) {
          const end = Math.min(bytes.length, at + c);
          got.push(...s.push(bytes.subarray(at, end)));
          at = end;
        }
        got.push(...s.push(bytes.subarray(at)));
        assert.deepEqual(got, lines);
        assert.equal(s.pending, 0);
      }),
    );
  });

  test('holds an unfinished line until its newline arrives', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(Buffer.from('{"a":')), []);
    assert.equal(s.pending, 5);
    assert.deepEqual(s.push(Buffer.from('1}\n{"b"')), ['{"a":1}']);
    assert.deepEqual(s.push(Buffer.from(':2}\n')), ['{"b":2}']);
  });
});

describe('kept connection identity', () => {
  const target: KeeperTarget = { host: '10.0.0.5', port: 22, user: 'root', name: 'h1' };
  const options: KeeperSshOptions = { knownHostsFiles: ['/lab/kh'], identityFiles: ['/lab/key'], trustNewHosts: false, connectTimeoutMs: 10_000, sudo: true, agentSocket: null };

  test('is equal for equal requests and differs when any target field or option differs', () => {
    const base = connectionKey(target, options);
    assert.equal(connectionKey({ ...target }, { ...options, knownHostsFiles: ['/lab/kh'] }), base);
    const variants: Array<[string, KeeperTarget, KeeperSshOptions]> = [
      ['host', { ...target, host: '10.0.0.6' }, options],
      ['port', { ...target, port: 2222 }, options],
      ['user', { ...target, user: 'deploy' }, options],
      ['name', { ...target, name: 'h2' }, options],
      ['jump', { ...target, jump: { host: 'bastion', port: 22, user: 'root' } }, options],
      ['identity files', target, { ...options, identityFiles: ['/other/key'] }],
      ['default identity files', target, { ...options, identityFiles: undefined } as KeeperSshOptions],
      ['known_hosts files', target, { ...options, knownHostsFiles: ['/lab/kh', '/etc/ssh/ssh_known_hosts'] }],
      ['trust-new-hosts', target, { ...options, trustNewHosts: true }],
      ['sudo', target, { ...options, sudo: false }],
      ['ssh-agent socket', target, { ...options, agentSocket: '/tmp/agent.sock' }],
      ['connect timeout', target, { ...options, connectTimeoutMs: 3000 }],
      ['passphrase', target, { ...options, passphrase: 'correct horse' }],
    ];
    const keys = new Set([base]);
    for (const [what, t, o] of variants) {
      const k = connectionKey(t, o);
      assert.notEqual(k, base, what);
      keys.add(k);
    }
    assert.equal(keys.size, variants.length + 1);
  });

  test('holds a hash of the passphrase, never the passphrase', () => {
    assert.doesNotMatch(connectionKey(target, { ...options, passphrase: 'correct horse' }), /correct horse/);
  });
});
