// Input: a search path and which files exist. Output: tool paths, or an error naming Debian packages.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HaupError } from '../../../cli/errors.js';
import { LAB_TOOLS, findTools, missingToolsError, notRootError, toolSearchPath } from '../../../cli/lab/tools.js';

const everything = new Set(Object.values(LAB_TOOLS).flatMap((t) => [`/usr/sbin/${t.binary}`, `/usr/bin/${t.binary}`]));

describe('lab tools', () => {
  test('finds each tool in the first directory of the search path that has it', () => {
    const { tools, missing } = findTools('/usr/sbin:/usr/bin', (f) => everything.has(f));
    assert.deepEqual(missing, []);
    assert.equal(tools.sshd, '/usr/sbin/sshd');
    assert.equal(tools.unshare, '/usr/sbin/unshare');
  });

  test('ignores relative directories in the search path', () => {
    const { missing } = findTools('bin:.', () => true);
    assert.equal(missing.length, Object.keys(LAB_TOOLS).length);
  });

  test('reports missing sshd and nginx with their Debian packages and an apt-get line', () => {
    const { missing } = findTools('/usr/bin', (f) => f !== '/usr/bin/sshd' && f !== '/usr/bin/nginx');
    assert.deepEqual(missing, ['sshd', 'nginx']);
    const err = missingToolsError(missing, '/usr/bin');
    assert.ok(err instanceof HaupError);
    assert.equal(err.code, 'HAUP_MISSING_PACKAGES');
    assert.match(err.message, /needs sshd, nginx/);
    assert.deepEqual(err.details.slice(0, 2), ['sshd: Debian package openssh-server', 'nginx: Debian package nginx-light']);
    assert.equal(err.hint, 'install them: apt-get install -y openssh-server nginx-light');
  });

  test('names each package once even when it ships several missing tools', () => {
    assert.equal(missingToolsError(['unshare', 'nsenter', 'ip'], '/x').hint, 'install them: apt-get install -y util-linux iproute2');
  });

  test('HAUP_LAB_PATH replaces the search path; otherwise PATH is searched, then the sbin directories', () => {
    assert.equal(toolSearchPath({ HAUP_LAB_PATH: '/tmp/x', PATH: '/bin' }), '/tmp/x');
    assert.equal(toolSearchPath({ PATH: '/opt/bin' }), '/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });

  test('the not-root error says why root is needed', () => {
    const err = notRootError('haup lab up', 65534);
    assert.equal(err.code, 'HAUP_NOT_ROOT');
    assert.match(err.message, /haup lab up needs root \(running as uid 65534\)/);
    assert.match(err.hint ?? '', /sudo/);
  });
});
