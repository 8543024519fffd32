// Input: the built CLI (dist/cli/haup.js, or $HAUP_TEST_CLI) and the same CLI run from source. Output: the same
// help texts, usage errors and exit codes, and `haup render` files byte for byte as the golden renders — the bundle
// precompiles templates and trims start-up work, and none of that may change what users see.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exampleInventories, renderExample } from '../golden/render-inventories.js';

const REPO = join(import.meta.dirname, '..', '..');
const CLI = process.env.HAUP_TEST_CLI ?? join(REPO, 'dist/cli/haup.js');
const skip = existsSync(CLI) ? undefined : `needs the build: npm run build (no ${CLI})`;
if (skip) console.error(`cli-bundle tests skipped: ${skip}`);

// A fixed environment: no colours, a fixed width and HOME, nothing that could reach a keeper or a lab.
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/home/haup', HAUP_SSH_PERSIST: '0', COLUMNS: '100', LANG: 'C' };

/** Values of the wrong type where the schema has no message of its own: zod's English default messages show. */
const WRONG_TYPES = join(mkdtempSync(join(tmpdir(), 'haup-bundle-inv-')), 'wrong-types.yml');
writeFileSync(
  WRONG_TYPES,
  'defaults: { interface: eth0, ssh: root, check: [nginx], auth: 7 }\npairs:\n' +
    '  - { name: web, vrid: 1, vips: [10.0.0.100/24], probe: http, master: { host: 10.0.0.1, priority: 100 }, backup: { host: 10.0.0.2, priority: 99, ssh: { port: x } } }\n',
);
after(() => rmSync(dirname(WRONG_TYPES), { recursive: true, force: true }));

function run(args: readonly string[], fromSource: boolean): { code: number | null; stdout: string; stderr: string } {
  const argv = fromSource ? ['--import', 'tsx', join(REPO, 'cli/main.ts'), ...args] : [CLI, ...args];
  const r = spawnSync(process.execPath, argv, { cwd: REPO, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the bundle behaves as the source', { skip }, () => {
  const cases: string[][] = [
    ['--help'],
    ['deploy', '--help'],
    ['lab', '--help'],
    ['lab', 'up', '--help'],
    ['render', '--help'],
    [],
    ['deploy'],
    ['deploy', 'a.yml', '--no-such-option'],
    ['deplo', 'a.yml'],
    ['deploy', 'a.yml', '--ssh-persist', 'soon'],
    ['render', 'inventories/broken/does-not-exist.yml', '--out', '/nonexistent'],
    // Validation (zod/mini in the bundle, with English messages only): the same lines for every problem.
    ...['many-problems', 'unknown-key-typo', 'priority-out-of-range', 'vrid-string', 'auth-type-ah', 'vip-invalid', 'check-without-template'].map((f) => [
      'render', `inventories/broken/${f}.yml`, '--out', '/nonexistent',
    ]),
    ['render', WRONG_TYPES, '--out', '/nonexistent'],
  ];
  for (const args of cases) {
    test(`haup ${args.join(' ') || '(nothing)'} prints the same and exits the same from the bundle`, () => {
      const bundle = run(args, false);
      const source = run(args, true);
      assert.deepEqual(bundle, source);
    });
  }

  test('haup --help lists the commands and exits 0', () => {
    const r = run(['--help'], false);
    assert.equal(r.code, 0);
    for (const cmd of ['lab', 'render', 'deploy', 'status', 'verify', 'demo', 'disconnect']) assert.match(r.stdout, new RegExp(`haup ${cmd}`));
  });

  test('a usage error exits 2 with HAUP_USAGE', () => {
    const r = run(['deploy'], false);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /HAUP_USAGE/);
  });

  test('a user\'s template is compiled from its text (the bundle loads the Handlebars compiler for it), the others stay precompiled', () => {
    const dir = mkdtempSync(join(tmpdir(), 'haup-bundle-templates-'));
    try {
      const builtin = readFileSync(join(REPO, 'templates/keepalived.conf.hbs'), 'utf8');
      writeFileSync(join(dir, 'keepalived.conf.hbs'), `! mine for {{routerId}}\n${builtin}`);
      const out = join(dir, 'out');
      const r = run(['render', 'inventories/example.yml', '--out', out, '--templates', dir], false);
      assert.equal(r.code, 0, r.stderr);
      const golden = (host: string, path: string) => readFileSync(join(REPO, 'test/golden/example', host, path), 'utf8');
      for (const host of ['10.0.0.11', '10.0.0.12']) {
        assert.equal(readFileSync(join(out, host, 'etc/haup/keepalived.conf'), 'utf8'), `! mine for ${host}\n${golden(host, 'etc/haup/keepalived.conf')}`);
        assert.equal(readFileSync(join(out, host, 'etc/haup/scripts/check_nginx.sh'), 'utf8'), golden(host, 'etc/haup/scripts/check_nginx.sh'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const inventory of exampleInventories()) {
    test(`haup render ${inventory} from the bundle writes exactly the golden files`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'haup-bundle-render-'));
      try {
        const r = run(['render', inventory, '--out', out], false);
        assert.equal(r.code, 0, r.stderr);
        const expected = await renderExample(inventory);
        assert.ok(expected.length > 0);
        for (const f of expected) assert.equal(readFileSync(join(out, f.host, f.path), 'utf8'), f.content, `${f.host}:${f.path} differs`);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});
