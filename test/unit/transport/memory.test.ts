// Unit tests for the in-memory transport's own features (scripts, call log, failure injection) and the shared
// helpers in transport.ts; the behaviour it shares with ssh is in test/integration/transport/contract.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HaupError } from '../../../cli/errors.js';
import { MemoryTransport, reply } from '../../../cli/transport/memory.js';
import { assertValidFiles, commandFailedError, displayCommand, execOk } from '../../../cli/transport/transport.js';

describe('memory transport', () => {
  test('answers commands from its scripts in order and says when none matches', async () => {
    const t = new MemoryTransport({
      scripts: [reply('node --version', { stdout: 'v20.1.0\n' }), reply(/^ip -j /, (c) => ({ stdout: `[${c.command.length}]` }))],
    });
    assert.deepEqual(await t.exec(['node', '--version']), { code: 0, stdout: 'v20.1.0\n', stderr: '' });
    assert.equal((await t.exec(['ip', '-j', 'addr'])).stdout, '[10]');
    const miss = await t.exec('uptime');
    assert.equal(miss.code, 127);
    assert.match(miss.stderr, /no script for: uptime/);
    assert.equal(t.roundTrips, 3);
  });

  test('records each call with its stdin and whether it would have used sudo', async () => {
    const t = new MemoryTransport({ user: 'deploy', scripts: [reply('cat', (c) => ({ stdout: c.stdin.toString() }))] });
    assert.equal((await t.exec('cat', { stdin: 'hi' })).stdout, 'hi');
    await t.exec('cat', { sudo: false });
    assert.deepEqual(t.calls.map((c) => [c.command, c.stdin.toString(), c.sudo]), [['cat', 'hi', true], ['cat', '', false]]);
  });

  test('throws the injected error on every call after the connection breaks', async () => {
    const t = new MemoryTransport({ files: { '/etc/x': 'x' } });
    t.breakConnection(new HaupError('HAUP_SSH_TIMEOUT', 'h1:22 did not answer'));
    await assert.rejects(t.get('/etc/x'), { code: 'HAUP_SSH_TIMEOUT' });
    await assert.rejects(t.exec('true'), { code: 'HAUP_SSH_TIMEOUT' });
  });

  test('keeps the previous file under the backup suffix', async () => {
    const t = new MemoryTransport({ files: { '/etc/haup/keepalived.conf': { content: 'v1', mode: 0o600 } } });
    await t.put('/etc/haup/keepalived.conf', 'v2', { mode: 0o600, backupSuffix: '.prev' });
    assert.equal(t.files.get('/etc/haup/keepalived.conf.prev')?.content.toString(), 'v1');
    assert.equal(t.files.get('/etc/haup/keepalived.conf')?.content.toString(), 'v2');
  });
});

describe('transport helpers', () => {
  test('execOk returns the result of a command that succeeds and throws a HAUP_REMOTE_COMMAND otherwise', async () => {
    const t = new MemoryTransport({ name: 'h1', scripts: [reply('true', {}), reply('false', { code: 1, stderr: 'nope\n' })] });
    assert.equal((await execOk(t, 'true')).code, 0);
    await assert.rejects(execOk(t, 'false'), (e: HaupError) => e.code === 'HAUP_REMOTE_COMMAND' && e.message === 'h1: "false" exited with code 1');
  });

  test('a failed command shows host, command, exit code and only the last 20 stderr lines', () => {
    const stderr = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n');
    const e = commandFailedError('h1 (root@10.0.0.1:22)', ['systemctl', 'start', 'haup agent'], { code: 3, stdout: '', stderr });
    assert.equal(e.message, `h1 (root@10.0.0.1:22): "systemctl start 'haup agent'" exited with code 3`);
    assert.equal(e.details.length, 21);
    assert.equal(e.details[0], '... 10 earlier lines');
    assert.equal(e.details[20], 'line 30');
  });

  test('a command killed by a signal says so, and falls back to stdout when stderr is empty', () => {
    const e = commandFailedError('h1', 'sleep 100', { code: 137, stdout: 'partial\n', stderr: '', signal: 'SIGKILL' });
    assert.equal(e.message, 'h1: "sleep 100" was killed by SIGKILL');
    assert.deepEqual(e.details, ['partial']);
  });

  test('rejects relative paths, bad modes, odd owners and duplicates before touching a host', () => {
    assert.throws(() => assertValidFiles([{ path: 'etc/x', content: '', mode: 0o644 }]), /must be absolute/);
    assert.throws(() => assertValidFiles([{ path: '/etc/../x', content: '', mode: 0o644 }]), /must be absolute/);
    assert.throws(() => assertValidFiles([{ path: '/x', content: '', mode: 0o10000 }]), /mode/);
    assert.throws(() => assertValidFiles([{ path: '/x', content: '', mode: 0o644, owner: 'root; rm -rf /' }]), /owner/);
    assert.throws(() => assertValidFiles([{ path: '/x', content: '', mode: 0o644 }, { path: '/x', content: '', mode: 0o600 }]), /twice/);
    assert.doesNotThrow(() => assertValidFiles([{ path: '/x', content: '', mode: 0o644, owner: 'haup:adm' }, { path: '/y', content: '', mode: 0o600, owner: '0:0' }]));
  });

  test('displays argv quoted only where needed', () => {
    assert.equal(displayCommand(['sh', '-c', 'echo "$1"', 'x y']), `sh -c 'echo "$1"' 'x y'`);
  });
});
