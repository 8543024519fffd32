// Input: the real remote-shell loop (SHELL_COMMAND under local bash, spoken to with request/parseReply) and the
// real facts script on temp files. Output: what a script run in place (shell ".") sees and leaves behind: it runs in
// the loop's own process, gives the same facts as in a fork, and afterwards every variable, function, shell option
// and the umask of the loop are as before (a variable missing from the script's `local` list fails here).
import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { factsScript, parseFacts } from '../../../cli/plan/facts.js';
import { parseReply, request, SHELL_COMMAND, type ShellResult } from '../../../cli/transport/remote-shell.js';

/** The loop as sshd would start it, and one script at a time over its stdin/stdout/stderr. */
class Loop {
  private readonly child: ChildProcess;
  private out = Buffer.alloc(0);
  private err = Buffer.alloc(0);
  private wake: () => void = () => undefined;
  readonly ready: Promise<void>;
  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn('/bin/sh', ['-c', SHELL_COMMAND], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out = Buffer.concat([this.out, d]);
      this.wake();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.err = Buffer.concat([this.err, d]);
      this.wake();
    });
    this.ready = this.until(() => this.out.toString().endsWith('haup-shell ready\n')).then(() => {
      this.out = Buffer.alloc(0);
    });
  }
  get pid(): number {
    return this.child.pid!;
  }
  private async until(done: () => boolean): Promise<void> {
    while (!done()) await new Promise<void>((resolve) => (this.wake = resolve));
  }
  async run(shell: string, script: string): Promise<ShellResult> {
    const id = randomBytes(8).toString('hex');
    this.out = Buffer.alloc(0);
    this.err = Buffer.alloc(0);
    this.child.stdin!.write(request(id, shell, script));
    let r: ShellResult | null = null;
    await this.until(() => (r = parseReply(id, this.out, this.err)) !== null);
    return r!;
  }
  close(): void {
    this.child.kill('SIGKILL');
  }
}

// What a fork of the loop sees of it (a fork inherits variables, functions, options and the umask); the loop's own
// bookkeeping and bash's ever-changing variables left out.
const SNAPSHOT = [
  "declare -p | grep -Ev '^declare -[-a-zA-Z]* (RANDOM|SRANDOM|SECONDS|EPOCHREALTIME|EPOCHSECONDS|LINENO|BASH_COMMAND|_|BASH_LINENO|BASH_SOURCE|FUNCNAME|BASH_ARGC|BASH_ARGV|PIPESTATUS|BASHPID|BASH_SUBSHELL|PPID)='",
  'declare -F',
  'set -o',
  'shopt',
  'umask',
  'pwd',
].join('; ');

const root = mkdtempSync(join(tmpdir(), 'haup-facts-inplace-'));
const env = { ...process.env };
delete env['LC_ALL'];
let loop: Loop;
before(async () => {
  loop = new Loop(env);
  await loop.ready;
});
after(() => {
  loop.close();
  rmSync(root, { recursive: true, force: true });
});

describe('scripts run in place by the remote shell', () => {
  test('they run in the loop process itself; options, locals and the umask end with them', async () => {
    const me = await loop.run('.', 'echo $BASHPID');
    assert.equal(me.stdout.toString().trim(), String(loop.pid), 'no fork: the loop runs it');
    const forked = await loop.run('=', 'echo $BASHPID');
    assert.notEqual(forked.stdout.toString().trim(), String(loop.pid), 'shell "=" still forks');
    const before = (await loop.run('=', SNAPSHOT)).stdout.toString();
    const r = await loop.run('.', 'local v=1; set -f; set -u; umask 077; echo "in place: $__haup_inplace $v $-"; umask "$__haup_umask"; false');
    assert.equal(r.code, 1, 'the exit status of its last command');
    assert.match(r.stdout.toString(), /^in place: 1 1 \S*f/);
    assert.equal((await loop.run('=', SNAPSHOT)).stdout.toString(), before);
    assert.equal((await loop.run('=', 'set | grep -c "^__haup_" || :')).stdout.toString(), '0\n', 'forks still see none of the loop\'s names');
  });

  for (const nodeVia of ['header', 'version cache'] as const) {
    test(`the deploy facts (node version from its ${nodeVia}): the same facts as in a fork, and nothing of them left in the loop`, async () => {
      const dir = join(root, nodeVia.replace(' ', '-'));
      // A `node` that is a symbolic link has no header next to it: the facts ask it (once) and cache its answer.
      const bin = join(dir, 'bin');
      mkdirSync(bin, { recursive: true });
      if (nodeVia === 'version cache') symlinkSync(process.execPath, join(bin, 'node'));
      const shell = nodeVia === 'header' ? loop : new Loop({ ...env, PATH: `${bin}:${env['PATH'] ?? ''}` });
      if (shell !== loop) await shell.ready;
      try {
        const run = join(dir, 'run');
        mkdirSync(run, { recursive: true });
        const conf = join(dir, 'keepalived.conf');
        const agent = join(dir, 'haup-agent.cjs');
        writeFileSync(conf, 'vrrp_instance A { priority 100 }\n', { mode: 0o600 });
        writeFileSync(agent, '// agent\n', { mode: 0o755 });
        writeFileSync(join(run, 'agent-state.json'), '{\n  "state": "MASTER",\n  "updatedAt": "x"\n}\n');
        writeFileSync(join(run, 'pid'), `${process.pid}\n`);
        await new Promise((r) => setTimeout(r, 1100)); // the files' ctime a second behind: the hash cache may keep them
        const script = factsScript([conf, agent, join(dir, 'missing')], {
          stateFile: join(run, 'agent-state.json'),
          pidFile: join(run, 'pid'),
          rivalPidFile: join(run, 'rival.pid'),
          addresses: true,
          node: true,
          nodeCache: join(run, 'node-version'),
          hashCache: join(run, 'file-hashes'),
        });
        const before = (await shell.run('=', SNAPSHOT)).stdout.toString();
        const forked = await shell.run('=', script);
        const cold = await shell.run('.', script); // the cache written by the fork: hits
        rmSync(join(run, 'file-hashes'));
        const hashing = await shell.run('.', script); // no cache: sha256sum, and the cache written in place
        const warm = await shell.run('.', script);
        for (const r of [forked, cold, hashing, warm]) assert.equal(r.code, 0, r.stderr.toString());
        const view = (r: ShellResult) => {
          const f = parseFacts(r.stdout.toString());
          return { ...f, files: [...f.files], addresses: f.addresses === null ? null : 'some' };
        };
        assert.deepEqual(view(cold), view(forked));
        assert.deepEqual(view(hashing), view(forked));
        assert.deepEqual(view(warm), view(forked));
        assert.match(hashing.stdout.toString(), /^hash-begin$/m, 'without the cache it hashed');
        assert.doesNotMatch(warm.stdout.toString(), /^hash-begin$/m, 'the cache it wrote in place is used');
        assert.equal(view(forked).agentPid, process.pid);
        assert.equal(view(forked).nodeVersion, process.version);
        assert.equal((await shell.run('=', SNAPSHOT)).stdout.toString(), before);
      } finally {
        if (shell !== loop) shell.close();
      }
    });
  }

  test('the deploy facts start each program straight from the loop: no second fork for a command substitution', async () => {
    // Shims for the programs the facts run: each logs its parent's pid, then runs the real one. A program started by
    // `$(exec prog)` in the loop has the loop as its parent; bash's `$(prog 2>/dev/null)` forks a subshell that forks
    // again, and the program's parent is that subshell.
    const dir = join(root, 'shims');
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const log = join(dir, 'parents.log');
    writeFileSync(join(bin, 'shim'), `#!/bin/sh\necho "\${0##*/} $PPID" >> '${log}'\nPATH=\${PATH#*:} exec "\${0##*/}" "$@"\n`);
    chmodSync(join(bin, 'shim'), 0o755);
    for (const prog of ['stat', 'sha256sum', 'ip']) symlinkSync('shim', join(bin, prog));
    symlinkSync(process.execPath, join(bin, 'node')); // a link: no header next to it, so the facts stat it
    const shell = new Loop({ ...env, PATH: `${bin}:${env['PATH'] ?? ''}` });
    await shell.ready;
    try {
      const run = join(dir, 'run');
      mkdirSync(run, { recursive: true });
      const conf = join(dir, 'keepalived.conf');
      writeFileSync(conf, 'vrrp_instance A { priority 100 }\n', { mode: 0o600 });
      const script = factsScript([conf], {
        stateFile: null,
        pidFile: join(run, 'pid'),
        addresses: true,
        node: true,
        nodeCache: join(run, 'node-version'),
        hashCache: join(run, 'file-hashes'),
      });
      const r = await shell.run('.', script);
      assert.equal(r.code, 0, r.stderr.toString());
      assert.match(r.stdout.toString(), /^hash-begin$/m, 'it hashed (no cache yet)');
      const lines = readFileSync(log, 'utf8').trim().split('\n').sort();
      assert.deepEqual(lines, [`ip ${shell.pid}`, `sha256sum ${shell.pid}`, `stat ${shell.pid}`, `stat ${shell.pid}`]);
    } finally {
      shell.close();
    }
  });
});
