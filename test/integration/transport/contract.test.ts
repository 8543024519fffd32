// Contract suite: the same tests run against memory.ts and against ssh.ts talking to a real OpenSSH sshd on
// 127.0.0.1, so the fake used by deploy unit tests cannot drift from the real transport (ssh2 test/common.js style).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaupError } from '../../../cli/errors.js';
import { MemoryTransport, reply } from '../../../cli/transport/memory.js';
import { connectSsh } from '../../../cli/transport/ssh.js';
import type { Transport } from '../../../cli/transport/transport.js';
import { sshdUnavailable, startSshd } from '../../support/sshd.js';

interface Fixture {
  t: Transport;
  /** A directory on the "host" the tests may write into. */
  root: string;
  /** Names in a directory on the host (to see leftover temp files). */
  list(dir: string): Promise<string[]>;
  /** rm -rf on the host, behind the transport's back. */
  remove(dir: string): Promise<void>;
  cleanup(): Promise<void>;
}

const ARGV = ['printf', '%s|', 'a b', `c'd`, '$HOME', '*'];

function memoryFixture(): Fixture {
  const t = new MemoryTransport({
    name: 'mem',
    scripts: [
      reply(`sh -c 'printf out; printf err >&2; exit 3'`, { code: 3, stdout: 'out', stderr: 'err' }),
      reply('cat', (c) => ({ stdout: c.stdin.toString() })),
      reply(`printf '%s|' 'a b' 'c'\\''d' '$HOME' '*'`, { stdout: `a b|c'd|$HOME|*|` }),
      reply('echo "$((6 * 7))"', { stdout: '42\n' }),
      reply('kill -9 $$', { code: 137, signal: 'SIGKILL' }),
    ],
  });
  const root = '/srv/contract';
  return {
    t,
    root,
    list: async (dir) => [...new Set([...t.files.keys()].filter((p) => p.startsWith(`${dir}/`)).map((p) => p.slice(dir.length + 1).split('/')[0]!))],
    remove: async (dir) => {
      for (const p of [...t.files.keys()]) if (p.startsWith(`${dir}/`)) t.files.delete(p);
    },
    cleanup: () => t.close(),
  };
}

async function sshFixture(fileTransfer: 'auto' | 'exec'): Promise<Fixture> {
  const sshd = await startSshd();
  const root = await mkdtemp(join(tmpdir(), 'haup-contract-'));
  const t = await connectSsh(
    { host: sshd.host, port: sshd.port, name: 'sshd' },
    { identityFiles: [sshd.clientKey.privatePath], knownHostsFiles: [sshd.knownHostsFile], agentSocket: null, fileTransfer },
  );
  return {
    t,
    root,
    list: (dir) => readdir(dir),
    remove: (dir) => rm(dir, { recursive: true, force: true }),
    cleanup: async () => {
      await t.close();
      await sshd.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

const implementations: Array<{ name: string; unavailable: string | null; make: () => Promise<Fixture> }> = [
  { name: 'memory', unavailable: null, make: async () => memoryFixture() },
  { name: 'ssh to a real sshd, files over SFTP', unavailable: sshdUnavailable(), make: () => sshFixture('auto') },
  { name: 'ssh to a real sshd, files through a shell script', unavailable: sshdUnavailable(), make: () => sshFixture('exec') },
];

for (const impl of implementations) {
  describe(`transport contract: ${impl.name}`, { skip: impl.unavailable ?? false }, () => {
    let fx: Fixture;
    before(async () => {
      fx = await impl.make();
    });
    after(async () => fx?.cleanup());

    test('exec reports exit code, stdout and stderr, and does not throw on a non-zero exit', async () => {
      assert.deepEqual(await fx.t.exec(['sh', '-c', 'printf out; printf err >&2; exit 3']), { code: 3, stdout: 'out', stderr: 'err' });
    });

    test('exec feeds stdin and then closes it', async () => {
      const r = await fx.t.exec(['cat'], { stdin: 'hello\nworld' });
      assert.deepEqual([r.code, r.stdout], [0, 'hello\nworld']);
    });

    test('exec passes argv elements literally, without shell expansion', async () => {
      assert.equal((await fx.t.exec(ARGV)).stdout, `a b|c'd|$HOME|*|`);
    });

    test('exec runs a string command under sh', async () => {
      assert.equal((await fx.t.exec('echo "$((6 * 7))"')).stdout, '42\n');
    });

    test('exec reports a command killed by a signal as 128 + the signal number', async () => {
      assert.equal((await fx.t.exec('kill -9 $$')).code, 137);
    });

    test('put creates a file with its mode, creating missing directories, and get returns the exact bytes', async () => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const path = `${fx.root}/new/dir/blob.bin`;
      await fx.t.put(path, bytes, { mode: 0o640 });
      assert.deepEqual(await fx.t.get(path), bytes);
      const fact = (await fx.t.statFiles([path])).get(path);
      assert.ok(fact?.exists);
      assert.deepEqual([fact.type, fact.mode, fact.size, fact.owner, fact.sha256], ['file', 0o640, 256, 'root', createHash('sha256').update(bytes).digest('hex')]);
    });

    test('put replaces an existing file and its mode', async () => {
      const path = `${fx.root}/replace.conf`;
      await fx.t.put(path, 'first version, longer\n', { mode: 0o644 });
      await fx.t.put(path, 'second\n', { mode: 0o600, owner: 'root:root' });
      assert.equal((await fx.t.get(path))?.toString(), 'second\n');
      const fact = (await fx.t.statFiles([path])).get(path);
      assert.ok(fact?.exists);
      assert.equal(fact.mode, 0o600);
    });

    test('a batch that cannot be written replaces nothing and leaves no temp files behind', async () => {
      const dir = `${fx.root}/atomic`;
      await fx.t.put(`${dir}/keep.conf`, 'old\n', { mode: 0o644 });
      await assert.rejects(
        fx.t.putFiles([
          { path: `${dir}/other.conf`, content: 'x', mode: 0o644 },
          { path: `${dir}/keep.conf`, content: 'new\n', mode: 0o644 },
          { path: `${dir}/keep.conf/below-a-file`, content: 'y', mode: 0o644 },
        ]),
        (e: HaupError) => e.code === 'HAUP_REMOTE_COMMAND' && e.message.includes('writing 3 files failed'),
      );
      assert.equal((await fx.t.get(`${dir}/keep.conf`))?.toString(), 'old\n');
      assert.deepEqual(await fx.list(dir), ['keep.conf']);
    });

    test('an unknown owner is refused before anything is replaced', async () => {
      const dir = `${fx.root}/owner`;
      await fx.t.put(`${dir}/keep.conf`, 'old\n', { mode: 0o644 });
      await assert.rejects(
        fx.t.putFiles([
          { path: `${dir}/other.conf`, content: 'x', mode: 0o644 },
          { path: `${dir}/keep.conf`, content: 'new\n', mode: 0o644, owner: 'no-such-user-h5' },
        ]),
        (e: HaupError) => e.code === 'HAUP_REMOTE_COMMAND' && /no-such-user-h5/.test(e.details.join('\n')),
      );
      assert.equal((await fx.t.get(`${dir}/keep.conf`))?.toString(), 'old\n');
      assert.deepEqual(await fx.list(dir), ['keep.conf']);
    });

    test('a directory removed between two puts is made again (the session remembers directories it made)', async () => {
      const dir = `${fx.root}/removed`;
      await fx.t.put(`${dir}/sub/a.conf`, 'one\n', { mode: 0o600 });
      await fx.remove(dir);
      await fx.t.put(`${dir}/sub/a.conf`, 'two\n', { mode: 0o600 });
      assert.equal((await fx.t.get(`${dir}/sub/a.conf`))?.toString(), 'two\n');
    });

    test('get of a missing file returns null', async () => {
      assert.equal(await fx.t.get(`${fx.root}/does/not/exist`), null);
    });

    test('putFiles writes many files in one round trip, keeping previous versions on request', async () => {
      await fx.t.put(`${fx.root}/batch/f0`, 'v0', { mode: 0o644 });
      const files = Array.from({ length: 20 }, (_, i) => ({ path: `${fx.root}/batch/${i % 2 ? 'odd/' : ''}f${i}`, content: `content ${i}\n`, mode: i % 2 ? 0o755 : 0o600 }));
      const before = fx.t.roundTrips;
      await fx.t.putFiles(files, { backupSuffix: '.prev' });
      assert.equal(fx.t.roundTrips - before, 1);
      for (const f of files) assert.equal((await fx.t.get(f.path))?.toString(), f.content);
      assert.equal((await fx.t.get(`${fx.root}/batch/f0.prev`))?.toString(), 'v0');
    });

    test('statFiles describes files, directories and missing paths in one round trip', async () => {
      await fx.t.put(`${fx.root}/stat/a`, 'abc', { mode: 0o600 });
      const paths = [`${fx.root}/stat/a`, `${fx.root}/stat`, `${fx.root}/stat/missing`];
      const before = fx.t.roundTrips;
      const facts = await fx.t.statFiles(paths);
      assert.equal(fx.t.roundTrips - before, 1);
      const [a, dir, missing] = paths.map((p) => facts.get(p));
      assert.ok(a?.exists && dir?.exists);
      assert.deepEqual([a.type, a.mode, a.size, a.sha256], ['file', 0o600, 3, createHash('sha256').update('abc').digest('hex')]);
      assert.equal(dir.type, 'directory');
      assert.deepEqual(missing, { path: `${fx.root}/stat/missing`, exists: false });
    });

    test('every call after close throws a HaupError', async () => {
      const extra = await impl.make();
      await extra.cleanup();
      await assert.rejects(extra.t.exec(['true']), (e: unknown) => e instanceof HaupError && e.code === 'HAUP_SSH');
    });
  });
}
