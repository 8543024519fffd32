// Input: before/after texts. Output: unified diffs that `patch` accepts, and secrets masked in them.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { isText, redact, unifiedDiff } from '../../../cli/deploy/diff.js';

describe('unifiedDiff', () => {
  test('shows a changed line with three lines of context', () => {
    const before = 'a\nb\nc\nd\ne\nf\ng\n';
    const after = 'a\nb\nc\nD\ne\nf\ng\n';
    assert.equal(unifiedDiff('x', before, after), '--- x (on the node)\n+++ x (deploy)\n@@ -1,7 +1,7 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n');
  });
  test('is empty when nothing changed and shows a new file against /dev/null', () => {
    assert.equal(unifiedDiff('x', 'same\n', 'same\n'), '');
    assert.equal(unifiedDiff('x', null, 'new\n'), '--- /dev/null\n+++ x (deploy)\n@@ -0,0 +1,1 @@\n+new\n');
  });
  test('produces diffs that patch applies to get the new text', { skip: (() => { try { execFileSync('patch', ['--version']); return undefined; } catch { return 'needs patch: apt-get install -y patch'; } })() }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'haup-diff-'));
    try {
      const line = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
      fc.assert(
        fc.property(fc.array(line, { maxLength: 30 }), fc.array(line, { maxLength: 30 }), (a, b) => {
          const before = a.map((l) => `${l}\n`).join('');
          const after = b.map((l) => `${l}\n`).join('');
          const d = unifiedDiff('f', before, after);
          if (d === '') return before === after;
          writeFileSync(join(dir, 'f'), before);
          execFileSync('patch', ['-s', join(dir, 'f')], { input: d });
          return readFileSync(join(dir, 'f'), 'utf8') === after;
        }),
        { numRuns: 60 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('redact', () => {
  test('masks auth_pass values on context, removed and added lines, and every known secret', () => {
    const text = '     auth_pass one\n-    auth_pass old\n+    auth_pass new\n+ # mentions hunter2 here\n';
    assert.equal(redact(text, ['hunter2']), '     auth_pass <redacted>\n-    auth_pass <redacted>\n+    auth_pass <redacted>\n+ # mentions <redacted> here\n');
  });
  test('tells text from binary files', () => {
    assert.equal(isText('plain\n'), true);
    assert.equal(isText(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0])), false);
  });
});
