// Input: config files on disk with globbed and braced includes. Output: the files read in order, and a clear error for an unreadable main file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandBraces, segmentRegExp } from '../../../../agent/config/glob.js';
import { globFiles, loadConfig } from '../../../../agent/config/load.js';

test('brace alternatives expand like csh, nested too', () => {
  assert.deepEqual(expandBraces('/a/{x,y{1,2}}/z'), ['/a/x/z', '/a/y1/z', '/a/y2/z']);
  assert.deepEqual(expandBraces('/plain'), ['/plain']);
});

test('segment wildcards match like glob(3), not dot files', () => {
  const re = segmentRegExp('*.conf');
  assert.ok(re.test('a.conf'));
  assert.ok(!re.test('.hidden.conf'));
  assert.ok(!re.test('a.conf.bak'));
  assert.ok(segmentRegExp('[!b]?.conf').test('ax.conf'));
  assert.ok(!segmentRegExp('[!b]?.conf').test('bx.conf'));
});

test('loadConfig follows globbed and braced includes on disk, sorted, files only', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'haup-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'conf.d', 'sub.conf'), { recursive: true });
  writeFileSync(join(dir, 'keepalived.conf'), 'include conf.d/*.conf\ninclude {x,y}.inc\n');
  writeFileSync(join(dir, 'conf.d', 'b.conf'), 'vrrp_script b {\n script /b\n}\n');
  writeFileSync(join(dir, 'conf.d', 'a.conf'), 'vrrp_script a {\n script /a\n}\n');
  writeFileSync(join(dir, 'y.inc'), 'vrrp_script y {\n script /y\n}\n');
  writeFileSync(join(dir, 'x.inc'), 'vrrp_script x {\n script /x\n}\n');
  assert.deepEqual(globFiles(join(dir, 'conf.d', '*.conf')), [join(dir, 'conf.d', 'a.conf'), join(dir, 'conf.d', 'b.conf')]);
  const r = loadConfig(join(dir, 'keepalived.conf'));
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.config.scripts.map((s) => s.name), ['a', 'b', 'x', 'y']);
});

test('an unreadable main file is one error naming it', () => {
  const r = loadConfig('/nonexistent/haup/keepalived.conf');
  assert.equal(r.diagnostics.length, 1);
  assert.match(r.diagnostics[0]?.message ?? '', /^cannot read \/nonexistent\/haup\/keepalived\.conf: ENOENT/);
});
