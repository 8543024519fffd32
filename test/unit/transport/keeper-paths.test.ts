// Unit tests for where the SSH keeper's socket lives: the per-user directory, the refusal of one others can reach,
// the build-named socket, HAUP_SSH_PERSIST, and how the CLI finds its own entry to start the keeper.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HaupError } from '../../../cli/errors.js';
import { buildId, dirProblem, ensureKeeperDir, entryPoint, keeperDir, persistSeconds, socketPath } from '../../../cli/transport/keeper-paths.js';

const base = await mkdtemp(join(tmpdir(), 'tk-paths-'));
after(() => rm(base, { recursive: true, force: true }));
const uid = process.getuid?.() ?? 0;
const isRoot = uid === 0;

function keeperError(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof HaupError);
    assert.equal(err.code, 'HAUP_SSH_KEEPER');
    assert.match(err.message, pattern);
    assert.match(err.hint ?? '', /HAUP_SSH_PERSIST=0|chmod 700/);
    return true;
  };
}

describe('keeper directory', () => {
  test('is $XDG_RUNTIME_DIR/haup when set, else /run for root and the temp dir for others', () => {
    assert.equal(keeperDir({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000, '/tmp'), '/run/user/1000/haup');
    assert.equal(keeperDir({}, 0, '/tmp'), '/run/haup-keeper-0');
    assert.equal(keeperDir({}, 1000, '/var/tmp'), '/var/tmp/haup-keeper-1000');
    assert.equal(keeperDir({ XDG_RUNTIME_DIR: '' }, 1000, '/tmp'), '/tmp/haup-keeper-1000');
  });

  test('is refused when it is a link, not a directory, someone else\'s, or open to group or others', () => {
    const ok = { isDirectory: true, isSymbolicLink: false, uid: 1000, mode: 0o40700 };
    assert.equal(dirProblem('/d', ok, 1000), null);
    assert.match(dirProblem('/d', { ...ok, isSymbolicLink: true }, 1000) ?? '', /symbolic link/);
    assert.match(dirProblem('/d', { ...ok, isDirectory: false }, 1000) ?? '', /not a directory/);
    assert.match(dirProblem('/d', { ...ok, uid: 0 }, 1000) ?? '', /owned by uid 0, not by you \(uid 1000\)/);
    assert.match(dirProblem('/d', { ...ok, mode: 0o40750 }, 1000) ?? '', /mode 0750; group and others/);
    assert.match(dirProblem('/d', { ...ok, mode: 0o40701 }, 1000) ?? '', /mode 0701/);
  });

  test('is created private when missing', async () => {
    const dir = join(base, 'fresh');
    await ensureKeeperDir(dir, uid);
    const st = await stat(dir);
    assert.equal(st.mode & 0o777, 0o700);
    await ensureKeeperDir(dir, uid); // and accepted again
  });

  test('an existing directory others can read is refused with a clear error', async () => {
    const dir = join(base, 'open');
    await mkdir(dir, { mode: 0o700 });
    await chmod(dir, 0o755);
    await assert.rejects(ensureKeeperDir(dir, uid), keeperError(/refusing to use .*open for the SSH keeper socket: .* mode 0755/));
  });

  test('a symbolic link in its place is refused', async () => {
    const real = join(base, 'real');
    await mkdir(real, { mode: 0o700 });
    await symlink(real, join(base, 'link'));
    await assert.rejects(ensureKeeperDir(join(base, 'link'), uid), keeperError(/symbolic link/));
  });

  test('a directory owned by another user is refused', { skip: isRoot ? undefined : 'needs root: chown to another user' }, async () => {
    const dir = join(base, 'theirs');
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, 65534, 65534);
    await assert.rejects(ensureKeeperDir(dir, uid), keeperError(/owned by uid 65534/));
  });
});

describe('keeper socket name', () => {
  test('is named after the build and refused when too long for a unix socket', () => {
    assert.equal(socketPath('/run/haup-keeper-0', '0123456789abcdef'), '/run/haup-keeper-0/keeper-0123456789abcdef.sock');
    assert.throws(() => socketPath(`/tmp/${'x'.repeat(100)}`, '0123456789abcdef'), keeperError(/too long for a unix socket \(1\d\d > 107 bytes\)/));
  });

  test('changes when the CLI build changes, and with the version or HOME', async () => {
    const dir = join(base, 'build', 'cli', 'transport');
    await mkdir(dir, { recursive: true });
    await writeFile(join(base, 'build', 'cli', 'main.ts'), 'main');
    await writeFile(join(dir, 'keeper-client.ts'), 'v1');
    const url = pathToFileURL(join(dir, 'keeper-client.ts')).href;
    const a = await buildId(url, '0.1.0', '/root');
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.equal(await buildId(url, '0.1.0', '/root'), a);
    assert.notEqual(await buildId(url, '0.2.0', '/root'), a);
    assert.notEqual(await buildId(url, '0.1.0', '/home/u'), a);
    await writeFile(join(dir, 'ssh.ts'), 'new file');
    const b = await buildId(url, '0.1.0', '/root');
    assert.notEqual(b, a);
    await utimes(join(base, 'build', 'cli', 'main.ts'), new Date(0), new Date(1_000_000));
    assert.notEqual(await buildId(url, '0.1.0', '/root'), b);
  });
});

describe('keeper entry point', () => {
  test('is cli/main.ts from source and the bundle\'s haup.js (beside its chunks) when built', () => {
    assert.deepEqual(entryPoint('file:///repo/cli/transport/keeper-client.ts'), { source: true, entry: '/repo/cli/main.ts' });
    assert.deepEqual(entryPoint('file:///usr/lib/node_modules/haup/dist/cli/haup.js'), { source: false, entry: '/usr/lib/node_modules/haup/dist/cli/haup.js' });
    assert.deepEqual(entryPoint('file:///usr/lib/node_modules/haup/dist/cli/chunk-ABCD1234.js'), { source: false, entry: '/usr/lib/node_modules/haup/dist/cli/haup.js' });
  });
});

describe('HAUP_SSH_PERSIST', () => {
  test('defaults to 60 s, takes whole seconds, and 0 turns keeping off', () => {
    assert.equal(persistSeconds({}), 60);
    assert.equal(persistSeconds({ HAUP_SSH_PERSIST: '' }), 60);
    assert.equal(persistSeconds({ HAUP_SSH_PERSIST: '0' }), 0);
    assert.equal(persistSeconds({ HAUP_SSH_PERSIST: ' 300 ' }), 300);
  });

  test('rejects anything but a whole number as a usage error', () => {
    for (const bad of ['-1', '1.5', 'sixty', '1e3']) {
      assert.throws(() => persistSeconds({ HAUP_SSH_PERSIST: bad }), (err: unknown) => err instanceof HaupError && err.code === 'HAUP_USAGE' && err.exitCode === 2 && err.message.includes(JSON.stringify(bad)));
    }
  });
});
