// Unit tests for the remote sh scripts: quoting, sudo wrapping, output parsing (recorded), and the put script run by
// the local /bin/sh in a temp dir (the same script ssh.ts sends; no ssh involved).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  commandLine,
  getCommand,
  GET_MISSING_EXIT,
  parseStatOutput,
  putScript,
  shellQuote,
  statCommand,
  sudoProblem,
} from '../../../cli/transport/remote-script.js';

function sh(args: readonly string[], input?: Buffer) {
  const r = spawnSync('/bin/sh', ['-c', args.map(shellQuote).join(' ')], { input: input ?? Buffer.alloc(0) });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe('quoting and command lines', () => {
  test('quotes any string so sh passes it through unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0') && Buffer.from(s).toString() === s), (s) => {
        const r = spawnSync('/bin/sh', ['-c', `printf %s ${shellQuote(s)}`]);
        assert.equal(r.stdout.toString(), s);
      }),
      { numRuns: 60 },
    );
  });

  test('leaves safe words bare and quotes the rest', () => {
    assert.equal(shellQuote('/etc/haup/keepalived.conf'), '/etc/haup/keepalived.conf');
    assert.equal(shellQuote("it's $(x)"), `'it'\\''s $(x)'`);
    assert.equal(shellQuote(''), "''");
  });

  test('runs strings under sh -c and prefixes sudo -n only when asked', () => {
    assert.equal(commandLine('echo $HOME', false), `sh -c 'echo $HOME'`);
    assert.equal(commandLine(['ip', '-j', 'addr'], false), 'ip -j addr');
    assert.equal(commandLine(['cat', '/a b'], true), `sudo -n -- cat '/a b'`);
  });
});

describe('stat batch output', () => {
  // Recorded from statCommand on Debian 12 (coreutils 9.1): a file with a space, a dir, a FIFO, a symlink,
  // a missing path and a path below a regular file.
  const stdout =
    '81a4 0 0 4 root root /d/sp ace\u000041ed 0 0 4096 root root /d\u000011a4 0 0 0 root root /d/fifo\u0000' +
    'a1ff 0 0 13 root root /d/link\u0000@@haup-sha256@@\u0000' +
    '01186fcf04b4b447f393e552964c08c7b419c1ad7a25c342a0b631b1967d3a27  /d/sp ace\u0000';
  const stderr = "stat: cannot statx '/d/missing': No such file or directory\nstat: cannot statx '/etc/hostname/x': Not a directory\n";
  const paths = ['/d/sp ace', '/d', '/d/fifo', '/d/link', '/d/missing', '/etc/hostname/x'];

  test('maps each path to its type, mode, owner, size and checksum', () => {
    const { facts, problems } = parseStatOutput(paths, stdout, stderr);
    assert.deepEqual(problems, []);
    assert.deepEqual(facts.get('/d/sp ace'), {
      path: '/d/sp ace', exists: true, type: 'file', mode: 0o644, uid: 0, gid: 0, owner: 'root', group: 'root', size: 4,
      sha256: '01186fcf04b4b447f393e552964c08c7b419c1ad7a25c342a0b631b1967d3a27',
    });
    assert.deepEqual(
      paths.map((p) => { const f = facts.get(p)!; return f.exists ? `${f.type}:${f.mode.toString(8)}:${f.sha256 === null ? '-' : 'sha'}` : 'missing'; }),
      ['file:644:sha', 'directory:755:-', 'other:644:-', 'symlink:777:-', 'missing', 'missing'],
    );
  });

  test('reports permission problems instead of calling the file missing', () => {
    const { problems } = parseStatOutput(['/root/x'], '@@haup-sha256@@\u0000', "stat: cannot statx '/root/x': Permission denied\n");
    assert.deepEqual(problems, ["stat: cannot statx '/root/x': Permission denied"]);
  });

  test('reports a regular file it could not hash', () => {
    const { problems } = parseStatOutput(['/f'], '8180 0 0 3 root root /f\u0000@@haup-sha256@@\u0000', '');
    assert.deepEqual(problems, ['/f: no checksum']);
  });

  test('treats output without the end marker as a problem', () => {
    assert.equal(parseStatOutput(['/f'], 'garbage', '').problems[0], 'stat output is incomplete (no end marker)');
  });
});

describe('sudo refusals', () => {
  test('recognises sudo -n asking for a password, a missing sudo and a user outside sudoers', () => {
    assert.equal(sudoProblem({ code: 1, stderr: 'sudo: a password is required\n' }), 'password-required');
    assert.equal(sudoProblem({ code: 127, stderr: 'sh: 1: sudo: not found\n' }), 'not-installed');
    assert.equal(sudoProblem({ code: 1, stderr: 'deploy is not in the sudoers file.  This incident will be reported.\n' }), 'not-allowed');
    assert.equal(sudoProblem({ code: 1, stderr: 'grep: no match\n' }), null);
    assert.equal(sudoProblem({ code: 0, stderr: 'sudo: a password is required\n' }), null);
  });
});

describe('put and get scripts run by /bin/sh', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'haup-put-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const asRoot = process.getuid?.() === 0;

  test('writes several files with their modes, creating missing directories, and leaves no temp files', () => {
    const files = [
      { path: join(dir, 'a/b/conf'), data: Buffer.from('secret\n'), mode: 0o600 },
      { path: join(dir, 'a/run.sh'), data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
      { path: join(dir, 'a/empty'), data: Buffer.alloc(0), mode: 0o644 },
    ];
    const r = sh(['sh', '-c', putScript(files.map((f) => ({ path: f.path, size: f.data.length, mode: f.mode, ...(asRoot ? { owner: 'root:root' } : {}) })))], Buffer.concat(files.map((f) => f.data)));
    assert.equal(r.code, 0, r.stderr);
    for (const f of files) {
      assert.deepEqual(readFileSync(f.path), f.data);
      assert.equal(statSync(f.path).mode & 0o7777, f.mode);
    }
    assert.deepEqual(readdirSync(join(dir, 'a')).sort(), ['b', 'empty', 'run.sh']);
    assert.equal(statSync(join(dir, 'a/b')).mode & 0o777, 0o755);
  });

  test('replaces nothing when the data ends early, and cleans up its temp files', () => {
    const target = join(dir, 'short');
    writeFileSync(target, 'old');
    const r = sh(['sh', '-c', putScript([{ path: join(dir, 'first'), size: 2, mode: 0o644 }, { path: target, size: 10, mode: 0o644 }])], Buffer.from('ab-cut'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /file data ended early; nothing was replaced/);
    assert.equal(readFileSync(target, 'utf8'), 'old');
    assert.equal(existsSync(join(dir, 'first')), false);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.haup-new')), []);
  });

  test('keeps the previous version as a hard link when a backup suffix is given', () => {
    const target = join(dir, 'versioned');
    writeFileSync(target, 'v1');
    const r = sh(['sh', '-c', putScript([{ path: target, size: 2, mode: 0o640 }], { backupSuffix: '.prev' })], Buffer.from('v2'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(target, 'utf8'), 'v2');
    assert.equal(readFileSync(`${target}.prev`, 'utf8'), 'v1');
  });

  test('refuses to replace a directory with a file', () => {
    const r = sh(['sh', '-c', putScript([{ path: join(dir, 'a'), size: 1, mode: 0o644 }])], Buffer.from('x'));
    assert.notEqual(r.code, 0);
    assert.ok(statSync(join(dir, 'a')).isDirectory());
  });

  test('get prints the bytes of a file and exits with its own code for a missing one', () => {
    const bin = createHash('sha256').update('x').digest();
    writeFileSync(join(dir, 'bin'), bin);
    assert.deepEqual(sh(getCommand(join(dir, 'bin'))).stdout, bin);
    assert.equal(sh(getCommand(join(dir, 'nope'))).code, GET_MISSING_EXIT);
  });

  test('stat batch handles names with spaces and quotes', () => {
    const odd = join(dir, "it's a file");
    writeFileSync(odd, 'x');
    const r = sh(statCommand([odd, join(dir, 'missing')]));
    const { facts, problems } = parseStatOutput([odd, join(dir, 'missing')], r.stdout.toString(), r.stderr);
    assert.deepEqual(problems, []);
    const f = facts.get(odd);
    assert.ok(f?.exists);
    assert.equal(f.sha256, createHash('sha256').update('x').digest('hex'));
    assert.equal(facts.get(join(dir, 'missing'))?.exists, false);
  });
});
