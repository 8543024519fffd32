// Input: keepalived script lines and file metadata. Output: argv, and script-security verdicts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { splitCommandLine } from '../../../agent/checks/command-line.js';
import { pathChain, scriptSecurityProblems } from '../../../agent/checks/security.js';
import { runScript } from '../../../agent/checks/runner.js';

describe('splitCommandLine', () => {
  const cases: [string, string[]][] = [
    ['/etc/haup/scripts/check_nginx.sh', ['/etc/haup/scripts/check_nginx.sh']],
    ['killall -0 nginx', ['killall', '-0', 'nginx']],
    ['/bin/sh -c "test -e /run/x && exit 0"', ['/bin/sh', '-c', 'test -e /run/x && exit 0']],
    ["/bin/echo 'a b'  c", ['/bin/echo', 'a b', 'c']],
    ['/bin/echo a\\ b', ['/bin/echo', 'a b']],
    ['/bin/echo ""', ['/bin/echo', '']],
  ];
  for (const [line, argv] of cases) {
    test(`splits ${JSON.stringify(line)} like keepalived`, () => {
      assert.deepEqual(splitCommandLine(line), { ok: true, argv });
    });
  }
  test('rejects an unterminated quote', () => {
    assert.deepEqual(splitCommandLine('/bin/echo "a'), { ok: false, error: 'unterminated " quote' });
  });
  test('rejects an empty line', () => {
    assert.equal(splitCommandLine('   ').ok, false);
  });
});

describe('script security', () => {
  const dir = (path: string, uid = 0, mode = 0o755) => ({ path, uid, mode, isDirectory: true });
  const file = (path: string, uid = 0, mode = 0o755) => ({ path, uid, mode, isDirectory: false });

  test('lists the directories from the root down to the file', () => {
    assert.deepEqual(pathChain('/etc/haup/x.sh'), ['/', '/etc', '/etc/haup', '/etc/haup/x.sh']);
  });
  test('accepts a root-owned script in root-owned directories', () => {
    assert.deepEqual(scriptSecurityProblems([dir('/'), dir('/etc'), file('/etc/x.sh')]), []);
  });
  test('refuses a script writable by others and names the file and the fix', () => {
    const problems = scriptSecurityProblems([dir('/'), file('/etc/x.sh', 0, 0o757)]);
    assert.deepEqual(problems, ['file /etc/x.sh is writable by others (mode 0757); run chmod go-w /etc/x.sh']);
  });
  test('refuses a script in a group-writable directory', () => {
    const problems = scriptSecurityProblems([dir('/'), dir('/opt', 0, 0o775), file('/opt/x.sh')]);
    assert.equal(problems.length, 1);
    assert.match(problems[0] as string, /directory \/opt is writable by group/);
  });
  test('refuses a script owned by another user', () => {
    assert.match(scriptSecurityProblems([file('/x.sh', 1000)])[0] as string, /owned by uid 1000/);
  });
  test('tolerates a sticky world-writable directory but not a file in it owned by someone else', () => {
    assert.deepEqual(scriptSecurityProblems([dir('/tmp', 0, 0o1777), file('/tmp/x.sh')]), []);
    assert.equal(scriptSecurityProblems([dir('/tmp', 0, 0o1777), file('/tmp/x.sh', 1000)]).length, 1);
  });
});

describe('runScript', () => {
  test('reports success and failure by exit code', async () => {
    assert.equal((await runScript('/bin/true', { timeoutMs: 5000 })).ok, true);
    const r = await runScript('/bin/sh -c "exit 3"', { timeoutMs: 5000 });
    assert.equal(r.ok, false);
    assert.equal(r.code, 3);
  });
  test('kills a script that outlives its timeout', async () => {
    const r = await runScript('/bin/sleep 10', { timeoutMs: 100 });
    assert.equal(r.ok, false);
    assert.equal(r.timedOut, true);
    assert.ok(r.durationMs < 5000);
  });
  test('reports a missing script as an error, not a crash', async () => {
    const r = await runScript('/nonexistent/check.sh', { timeoutMs: 1000 });
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /ENOENT/);
  });
  test('passes notify arguments after the script words', async () => {
    const r = await runScript('/bin/sh -c "test $1 = MASTER" sh', { timeoutMs: 1000, args: ['MASTER'] });
    assert.equal(r.ok, true);
  });
});
