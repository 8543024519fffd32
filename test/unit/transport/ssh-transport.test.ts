// Unit tests for SshTransport's own decisions on a scripted stand-in for an ssh2 Client: when sudo -n is used and how
// its refusals surface, lost connections, and retrying a session sshd briefly refuses. Real-sshd behaviour is in
// test/integration/transport.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { HaupError } from '../../../cli/errors.js';
import type { SshClient } from '../../../cli/transport/ssh-connect.js';
import { SshTransport } from '../../../cli/transport/ssh-transport.js';

type Script = (line: string) => { stdout?: string; stderr?: string; code?: number } | 'lost' | 'refuse';

class FakeChannel extends EventEmitter {
  stderr = new EventEmitter();
  constructor(private readonly outcome: Exclude<ReturnType<Script>, 'refuse'>) {
    super();
  }
  end(): void {
    setImmediate(() => {
      if (this.outcome === 'lost') return this.emit('close');
      if (this.outcome.stdout) this.emit('data', Buffer.from(this.outcome.stdout));
      if (this.outcome.stderr) this.stderr.emit('data', Buffer.from(this.outcome.stderr));
      this.emit('exit', this.outcome.code ?? 0);
      this.emit('close');
    });
  }
  signal(): void {}
  close(): void {}
}

class FakeClient extends EventEmitter {
  readonly lines: string[] = [];
  sftpOpened = false;
  constructor(private readonly script: Script) {
    super();
  }
  exec(line: string, cb: (err: Error | undefined, ch?: FakeChannel) => void): void {
    this.lines.push(line);
    const outcome = this.script(line);
    if (outcome === 'refuse') return void setImmediate(() => cb(new Error('(SSH) Channel open failure: open failed')));
    setImmediate(() => cb(undefined, new FakeChannel(outcome)));
  }
  sftp(cb: (err: Error | undefined) => void): void {
    this.sftpOpened = true;
    setImmediate(() => cb(new Error('no sftp in this fake')));
  }
}

function transport(user: string, script: Script, fileTransfer: 'auto' | 'exec' = 'exec') {
  const client = new FakeClient(script);
  const t = new SshTransport(client as unknown as SshClient, { host: 'web1', port: 22, user }, { sudo: true, maxChannels: 2, fileTransfer, name: 'web1', shell: false });
  return { t, client };
}

describe('ssh transport decisions', () => {
  test('a non-root user runs commands through sudo -n; root and sudo: false do not', async () => {
    const deploy = transport('deploy', () => ({ stdout: 'ok' }));
    await deploy.t.exec(['systemctl', 'reload', 'haup-agent']);
    await deploy.t.exec('id -u', { sudo: false });
    assert.deepEqual(deploy.client.lines, ['sudo -n -- systemctl reload haup-agent', `sh -c 'id -u'`]);
    const root = transport('root', () => ({ stdout: 'ok' }));
    await root.t.exec(['true']);
    assert.deepEqual(root.client.lines, ['true']);
  });

  test('sudo asking for a password becomes HAUP_SUDO naming user, host and command', async () => {
    const { t } = transport('deploy', () => ({ code: 1, stderr: 'sudo: a password is required\n' }));
    await assert.rejects(t.exec(['cat', '/etc/haup/keepalived.conf']), (e: HaupError) => {
      assert.equal(e.code, 'HAUP_SUDO');
      assert.match(e.message, /sudo on deploy@web1:22 wants a password/);
      assert.deepEqual(e.details, ['command: cat /etc/haup/keepalived.conf']);
      return true;
    });
  });

  test('the same stderr without sudo is just a failed command', async () => {
    const { t } = transport('root', () => ({ code: 1, stderr: 'sudo: a password is required\n' }));
    assert.equal((await t.exec(['sudo', 'x'])).code, 1);
  });

  test('file writes by a non-root user go through a sudo shell script, never SFTP', async () => {
    const { t, client } = transport('deploy', () => ({}), 'auto');
    await t.put('/etc/haup/x.conf', 'x', { mode: 0o600 });
    assert.match(client.lines[0] ?? '', /^sudo -n -- sh -c /);
    assert.equal(client.sftpOpened, false);
  });

  test('a server without an SFTP subsystem gets files through the shell script instead', async () => {
    const { t, client } = transport('root', () => ({}), 'auto');
    await t.put('/etc/haup/x.conf', 'x', { mode: 0o600 });
    assert.equal(client.sftpOpened, true);
    assert.match(client.lines[0] ?? '', /^sh -c /);
  });

  test('a connection that drops mid-command is a HAUP_SSH error, not an exit code', async () => {
    const { t } = transport('root', () => 'lost');
    await assert.rejects(t.exec(['sleep', '10']), (e: HaupError) => e.code === 'HAUP_SSH' && /connection lost while running: sleep 10/.test(e.message));
  });

  test('a session sshd briefly refuses is retried, and a persistent refusal is reported', async () => {
    let refusals = 2;
    const flaky = transport('root', () => (refusals-- > 0 ? 'refuse' : { stdout: 'done' }));
    assert.equal((await flaky.t.exec(['true'])).stdout, 'done');
    assert.equal(flaky.client.lines.length, 3);
    const never = transport('root', () => 'refuse');
    await assert.rejects(never.t.exec(['true']), (e: HaupError) => e.code === 'HAUP_SSH' && /MaxSessions/.test(e.hint ?? ''));
  });

  test('after the connection closes every call throws', async () => {
    const { t, client } = transport('root', () => ({}));
    client.emit('close');
    await assert.rejects(t.exec(['true']), (e: HaupError) => e.code === 'HAUP_SSH' && /connection closed/.test(e.message));
  });
});
