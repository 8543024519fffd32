// Input: /proc texts, passwd/group texts, pid files, log messages. Output: liveness verdicts, script accounts, log lines.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquirePidFile, isAgentCmdline, livePidIn, procState, releasePidFile } from '../../../../agent/runtime/pidfile.js';
import { parseIdFile, resolveScriptUser } from '../../../../agent/runtime/users.js';
import { formatLogLine } from '../../../../agent/log.js';

describe('pid file', () => {
  test('reads the state letter after a command name holding spaces and parentheses', () => {
    assert.equal(procState('123 (node (x) y) S 1 123 123 0'), 'S');
    assert.equal(procState('77 (haup-agent) Z 1'), 'Z');
  });

  test('recognises node running the agent bundle, and nothing else', () => {
    assert.equal(isAgentCmdline('/usr/bin/node\0/opt/haup/haup-agent.cjs\0run\0-f\0/etc/haup/keepalived.conf\0'), true);
    assert.equal(isAgentCmdline('/usr/sbin/nginx\0-c\0/etc/haup/x.conf\0'), false);
    assert.equal(isAgentCmdline(['sleep', '100', ''].join('\0')), false);
  });

  test('takes over a stale pid file and removes only its own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'haup-pid-'));
    try {
      const file = join(dir, 'run', 'haup-agent.pid');
      assert.deepEqual(acquirePidFile(file), { ok: true });
      assert.equal(readFileSync(file, 'utf8'), `${process.pid}\n`);
      assert.equal(livePidIn(file), null, 'this process is not another agent');
      writeFileSync(file, '1\n'); // pid 1 is alive but not a haup agent
      assert.equal(livePidIn(file), null);
      releasePidFile(file);
      assert.equal(readFileSync(file, 'utf8'), '1\n', 'a pid file naming another process is left alone');
      writeFileSync(file, `${process.pid}\n`);
      releasePidFile(file);
      assert.throws(() => readFileSync(file), /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('script users', () => {
  const passwd = parseIdFile('root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n# comment\nbroken\n', 'passwd');
  const groups = parseIdFile('root:x:0:\nadm:x:4:\n', 'group');

  test('runs as root without switching when no user is set and keepalived_script does not exist', () => {
    assert.deepEqual(resolveScriptUser(undefined, passwd, groups), { ok: true, account: null });
  });

  test("uses keepalived's default user keepalived_script when it exists", () => {
    const withDefault = parseIdFile('keepalived_script:x:998:997::/:/usr/sbin/nologin\n', 'passwd');
    assert.deepEqual(resolveScriptUser(undefined, withDefault, groups), { ok: true, account: { uid: 998, gid: 997 } });
  });

  test("takes the user's primary group unless a group is named", () => {
    assert.deepEqual(resolveScriptUser({ user: 'www-data' }, passwd, groups), { ok: true, account: { uid: 33, gid: 33 } });
    assert.deepEqual(resolveScriptUser({ user: 'www-data', group: 'adm' }, passwd, groups), { ok: true, account: { uid: 33, gid: 4 } });
  });

  test('names a user or group that does not exist', () => {
    assert.deepEqual(resolveScriptUser({ user: 'nobody2' }, passwd, groups), { ok: false, error: 'user nobody2 does not exist' });
    assert.deepEqual(resolveScriptUser({ user: 'root', group: 'wheel' }, passwd, groups), { ok: false, error: 'group wheel does not exist' });
  });
});

describe('log lines', () => {
  const at = new Date('2026-01-02T03:04:05.678Z');
  test('start with an ISO timestamp outside journald, one line per event', () => {
    assert.equal(formatLogLine('info', 'VI_1: BACKUP -> MASTER reason=master-down-timer', { journald: false }, at), '2026-01-02T03:04:05.678Z VI_1: BACKUP -> MASTER reason=master-down-timer\n');
    assert.equal(formatLogLine('error', 'a\nb', { journald: false }, at), '2026-01-02T03:04:05.678Z error: a | b\n');
  });
  test('carry a syslog priority prefix and no timestamp under journald', () => {
    assert.equal(formatLogLine('warn', 'x', { journald: true }, at), '<4>warning: x\n');
    assert.equal(formatLogLine('info', 'y', { journald: true }, at), '<6>y\n');
  });
});
