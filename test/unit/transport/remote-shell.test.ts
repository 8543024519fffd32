// Input: SshTransport on a stand-in ssh2 client whose channels are real local processes (`sh -c LINE`, as sshd's
// login shell would run it), and the reply parser on its own. Output: what each command returns, and how many
// channels the transport opened for them.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { HaupError } from '../../../cli/errors.js';
import { parseReply, request, shellScript } from '../../../cli/transport/remote-shell.js';
import type { SshClient } from '../../../cli/transport/ssh-connect.js';
import { SshTransport } from '../../../cli/transport/ssh-transport.js';

/** A session channel backed by a local process; like ssh2's, stdin stays open until end(). */
class ProcessChannel extends EventEmitter {
  stderr = new EventEmitter();
  private readonly child: ChildProcess;
  constructor(line: string, env: NodeJS.ProcessEnv) {
    super();
    this.child = spawn('/bin/sh', ['-c', line], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin!.on('error', () => undefined); // a command that exits before reading its stdin (EPIPE), as sshd would ignore
    this.child.stdout!.on('data', (d: Buffer) => this.emit('data', d));
    this.child.stderr!.on('data', (d: Buffer) => this.stderr.emit('data', d));
    this.child.on('close', (code, signal) => {
      this.emit('exit', code, signal ?? undefined);
      this.emit('close');
    });
  }
  write(d: Buffer | string): boolean {
    return this.child.stdin!.write(d);
  }
  end(d?: Buffer | string): void {
    this.child.stdin!.end(d);
  }
  signal(): void {}
  close(): void {
    this.child.kill('SIGKILL');
  }
}

const live: SshTransport[] = [];
after(async () => Promise.all(live.map((t) => t.close())));

/** The transport after its first script, which takes a channel of its own (`lines` starts empty after it). */
async function transport(env: NodeJS.ProcessEnv = process.env) {
  const { t, lines } = coldTransport(env);
  assert.equal((await t.exec('echo first')).stdout, 'first\n');
  assert.deepEqual(lines.splice(0), [`sh -c 'echo first'`]);
  return { t, lines };
}

function coldTransport(env: NodeJS.ProcessEnv = process.env) {
  const lines: string[] = [];
  const client = Object.assign(new EventEmitter(), {
    exec(line: string, cb: (err: Error | undefined, ch?: ProcessChannel) => void) {
      lines.push(line);
      setImmediate(() => cb(undefined, new ProcessChannel(line, env)));
    },
    end() {
      setImmediate(() => client.emit('close'));
    },
    destroy() {},
  });
  const t = new SshTransport(client as unknown as SshClient, { host: 'web1', port: 22, user: 'root' }, { sudo: true, maxChannels: 4, fileTransfer: 'exec', name: 'web1', shell: true });
  live.push(t);
  return { t, lines };
}

describe('the long-lived remote shell', () => {
  test('only `sh -c` / `bash -c` scripts go through it', () => {
    assert.deepEqual(shellScript('echo hi'), { shell: 'sh', script: 'echo hi' });
    assert.deepEqual(shellScript(['/bin/bash', '-c', 'x']), { shell: '/bin/bash', script: 'x' });
    assert.equal(shellScript(['cat', '/etc/hostname']), null);
    assert.equal(shellScript(['sh', '-e', 'x']), null);
    assert.equal(shellScript(['/opt/my sh', '-c', 'x']), null, 'a shell path the loop could not split');
  });

  test('a reply ends only at its own markers, whatever the script printed', () => {
    const id = '0123456789abcdef';
    const b = (s: string) => Buffer.from(s);
    assert.equal(parseReply(id, b('out\n'), b('')), null, 'no stderr marker yet');
    assert.equal(parseReply(id, b(`x\n${id} 0`), b(`\n${id}\n`)), null, 'stdout marker cut mid-chunk');
    assert.equal(parseReply(id, b(`\nffffffffffffffff 0\n`), b(`\n${id}\n`)), null, 'another id');
    const r = parseReply(id, b(`no newline\n${id} 3\n`), b(`err\n\n${id}\n`));
    assert.deepEqual(r && { code: r.code, out: r.stdout.toString(), err: r.stderr.toString() }, { code: 3, out: 'no newline', err: 'err\n' });
    assert.equal(request(id, 'sh', 'é').toString(), `${id} sh 2\né`, 'the length is in bytes');
  });

  test('the first script takes a channel of its own; the shell starts with the second and serves the rest', async () => {
    const { t, lines } = coldTransport();
    for (const n of [1, 2, 3]) assert.equal((await t.exec(`echo ${n}`)).stdout, `${n}\n`);
    assert.equal(lines.length, 2, lines.join(' | '));
    assert.equal(lines[0], `sh -c 'echo 1'`);
    assert.match(lines[1] ?? '', /^if command -v bash/);
  });

  test('scripts run one after another over one channel, each in its own shell, with exact output', async () => {
    const { t, lines } = await transport();
    const a = await t.exec(['sh', '-c', 'printf "a\\n\\nb"; printf e >&2; exit 3']);
    assert.deepEqual(a, { code: 3, stdout: 'a\n\nb', stderr: 'e' });
    const pids = await Promise.all([0].map(() => t.exec('echo $$')));
    const again = await t.exec('echo $$');
    assert.notEqual(pids[0]!.stdout, again.stdout, 'each script has its own $$');
    assert.equal((await t.exec('kill -9 $$')).code, 137);
    assert.equal((await t.exec(['bash', '-c', 'echo "${BASH_VERSION:+bash}"'])).stdout, 'bash\n');
    assert.equal((await t.exec('echo "${BASH_VERSION:-plain sh}"')).stdout, 'plain sh\n', 'sh -c scripts run under sh');
    const big = 'x'.repeat(100_000); // a single argument may have 128 KiB (MAX_ARG_STRLEN), over a channel too
    assert.equal((await t.exec(`printf %s '${big}' | wc -c`)).stdout.trim(), '100000');
    assert.equal((await t.exec('read -r l; echo "[$l]"')).stdout, '[]\n', 'stdin is empty, not the next request');
    assert.equal(lines.length, 1, `one channel for all of them: ${lines.join(' | ')}`);
  });

  test('haup\'s own scripts run in a fork of the shell itself, and still leave nothing behind for the next one', async () => {
    const { t, lines } = await transport();
    assert.equal(shellScript(['sh', '-c', 'x'], true)?.shell, '=');
    const own = { ownScript: true };
    assert.equal((await t.exec(['sh', '-c', 'echo "${BASH_VERSION:+bash}"'], own)).stdout, 'bash\n');
    assert.deepEqual(await t.exec(['sh', '-c', 'X=1; cd /; echo out; echo err >&2; exit 4'], own), { code: 4, stdout: 'out\n', stderr: 'err\n' });
    const next = await t.exec(['bash', '-c', 'echo "${X-unset} $PWD ${__haup_s-none} ${__haup_h-none}"; set | grep -c "^__haup_" || :'], own);
    assert.equal(next.stdout.split('\n')[0], `unset ${process.cwd()} none none`);
    assert.equal(next.stdout.split('\n')[1], '0', 'none of the loop\'s variables');
    assert.equal((await t.exec('kill -9 $BASHPID', own)).code, 137);
    assert.equal((await t.exec('echo after')).stdout, 'after\n', 'the loop survives its fork\'s death');
    assert.equal(lines.length, 1);
  });

  test('the caller\'s locale is what the script sees (the loop itself counts bytes under LC_ALL=C)', async () => {
    const env = { ...process.env };
    delete env['LC_ALL'];
    const { t } = await transport(env);
    assert.equal((await t.exec('echo "${LC_ALL-unset}"')).stdout, 'unset\n');
    const set = await transport({ ...process.env, LC_ALL: 'C.UTF-8' });
    assert.equal((await set.t.exec('echo "$LC_ALL"')).stdout, 'C.UTF-8\n');
    assert.equal((await set.t.exec("printf 'é' | wc -c")).stdout.trim(), '2');
  });

  test('stdin data, sudo and other commands take channels of their own; so does a script while another runs', async () => {
    const { t, lines } = await transport();
    await t.exec('true');
    assert.equal((await t.exec(['cat'], { stdin: 'data' })).stdout, 'data');
    await t.exec(['true']);
    const [slow, fast] = await Promise.all([t.exec('sleep 0.3; echo slow'), t.exec('echo fast')]);
    assert.deepEqual([slow.stdout, fast.stdout], ['slow\n', 'fast\n']);
    assert.equal(lines.length, 4, lines.join(' | '));
    assert.deepEqual(lines.slice(1), ['cat', 'true', `sh -c 'echo fast'`]);
  });

  test('a script past its timeout fails; the shell it ran in is dropped and the next script gets a new one', async () => {
    const { t, lines } = await transport();
    await assert.rejects(t.exec('sleep 5', { timeoutMs: 200 }), (e: HaupError) => e.code === 'HAUP_REMOTE_COMMAND' && /did not finish within 200 ms/.test(e.message));
    assert.equal((await t.exec('echo next')).stdout, 'next\n');
    assert.equal(lines.length, 2);
    assert.equal(lines[0], lines[1]);
  });

  test('a host without bash gets plain channels, and the shell is not tried again', async () => {
    const { t, lines } = coldTransport({ ...process.env, PATH: '/nonexistent' });
    for (const n of ['one', 'two', 'three']) assert.equal((await t.exec(['/bin/sh', '-c', `echo ${n}`])).stdout, `${n}\n`);
    assert.equal(lines.length, 4, lines.join(' | '));
    assert.match(lines[1] ?? '', /^if command -v bash/, 'tried once, with the second script');
    assert.deepEqual([lines[0], ...lines.slice(2)], [`/bin/sh -c 'echo one'`, `/bin/sh -c 'echo two'`, `/bin/sh -c 'echo three'`]);
  });
});
