// Input: every inventories/*.yml. Output: the files `haup render` writes, compared byte for byte with
// test/golden/<inventory>/<host>/<path>. HAUP_UPDATE_GOLDEN=1 rewrites the expected files.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { exampleInventories, GOLDEN_DIR, goldenName, renderExample } from './render-inventories.js';

const UPDATE = process.env.HAUP_UPDATE_GOLDEN === '1';

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

describe('golden renders', () => {
  for (const inventory of exampleInventories()) {
    const dir = join(GOLDEN_DIR, goldenName(inventory));
    test(`renders ${inventory} exactly as ${dir}/ holds`, async () => {
      const files = await renderExample(inventory);
      const rendered = new Map(files.map((f) => [join(dir, f.host, f.path), f.content]));
      if (UPDATE) {
        rmSync(dir, { recursive: true, force: true });
        for (const [p, content] of rendered) {
          mkdirSync(dirname(p), { recursive: true });
          writeFileSync(p, content);
        }
      }
      const expected = listFiles(dir).sort();
      assert.deepEqual([...rendered.keys()].sort(), expected, `rendered files differ from ${dir}; run HAUP_UPDATE_GOLDEN=1 npm test to accept`);
      for (const [p, content] of rendered) assert.equal(content, readFileSync(p, 'utf8'), `${relative('.', p)} differs`);
    });
  }
});

describe('rendered scripts', () => {
  test('every rendered check script passes its shell\'s syntax check', async (t) => {
    let checked = 0;
    for (const inventory of exampleInventories()) {
      for (const f of await renderExample(inventory)) {
        if (f.kind !== 'script') continue;
        const shell = /^#!\/bin\/bash/.test(f.content) ? 'bash' : 'sh';
        const r = spawnSync(shell, ['-n'], { input: f.content, encoding: 'utf8' });
        assert.equal(r.status, 0, `${inventory} ${f.host}${f.path}: ${shell} -n says ${r.stderr}`);
        checked++;
      }
    }
    assert.ok(checked >= 4, `only ${checked} scripts checked`);
    t.diagnostic(`${checked} scripts checked`);
  });
});
