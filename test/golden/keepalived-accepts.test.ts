// Input: the keepalived.conf of every host of every example inventory. Output: `keepalived -t` (the
// real keepalived) accepts each one with no warning, run in a network namespace that has the config's
// interfaces, with the check scripts rendered next to it.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { RenderedFile } from '../../cli/render/render.js';
import { exampleInventories, renderExample } from './render-inventories.js';

function missingTool(): string | null {
  if (process.getuid?.() !== 0) return 'needs root: keepalived -t runs in a network namespace holding the configs\' interfaces';
  for (const [bin, pkg] of [['keepalived', 'keepalived'], ['ip', 'iproute2']] as const) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `needs ${bin}: apt-get install ${pkg}`;
  }
  return null;
}

function run(cmd: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** A private namespace with a veth end named after each interface the configs use; removed by `close`. */
function namespaceWith(interfaces: readonly string[]): { ns: string; close: () => void } {
  const ns = `h4g-${process.pid}`;
  const must = (args: string[]) => {
    const r = run('ip', args);
    assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.output}`);
  };
  must(['netns', 'add', ns]);
  const close = () => void run('ip', ['netns', 'del', ns]);
  try {
    must(['-n', ns, 'link', 'set', 'lo', 'up']);
    interfaces.forEach((ifname, i) => {
      must(['-n', ns, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', `h4gp${i}`]);
      must(['-n', ns, 'link', 'set', ifname, 'up']);
    });
  } catch (err) {
    close();
    throw err;
  }
  return { ns, close };
}

/** Writes a host's scripts under `dir` and returns its config with script paths pointing there. */
function stage(dir: string, files: readonly RenderedFile[], config: RenderedFile): string {
  mkdirSync(join(dir, 'scripts'), { recursive: true, mode: 0o755 });
  let text = config.content;
  for (const s of files.filter((f) => f.kind === 'script' && f.host === config.host)) {
    const local = join(dir, 'scripts', basename(s.path));
    writeFileSync(local, s.content, { mode: 0o755 });
    text = text.split(`"${s.path}"`).join(`"${local}"`);
  }
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, text, { mode: 0o600 });
  return conf;
}

async function allRendered(): Promise<{ inventory: string; files: RenderedFile[] }[]> {
  return Promise.all(exampleInventories().map(async (inventory) => ({ inventory, files: await renderExample(inventory) })));
}

function interfacesOf(configs: readonly string[]): string[] {
  const names = new Set<string>();
  for (const c of configs) for (const m of c.matchAll(/(?:^\s*interface|\sdev) (\S+)/gm)) names.add(m[1] as string);
  return [...names].sort();
}

describe('keepalived -t', () => {
  async function withStage(t: TestContext, body: (ns: string, tmp: string, rendered: Awaited<ReturnType<typeof allRendered>>) => void) {
    const why = missingTool();
    if (why) {
      t.skip(why);
      return;
    }
    const rendered = await allRendered();
    const configs = rendered.flatMap((r) => r.files.filter((f) => f.kind === 'config').map((f) => f.content));
    const tmp = mkdtempSync(join(tmpdir(), 'h4g-'));
    const { ns, close } = namespaceWith(interfacesOf(configs));
    try {
      body(ns, tmp, rendered);
    } finally {
      close();
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  test('accepts every rendered keepalived.conf without a warning', async (t) => {
    await withStage(t, (ns, tmp, rendered) => {
      let checked = 0;
      for (const { inventory, files } of rendered) {
        for (const config of files.filter((f) => f.kind === 'config')) {
          const conf = stage(join(tmp, basename(inventory, '.yml'), config.host), files, config);
          const r = run('ip', ['netns', 'exec', ns, 'keepalived', '-t', '-l', '-f', conf]);
          assert.equal(r.status, 0, `${inventory} ${config.host}: keepalived -t exited ${r.status}:\n${r.output}`);
          assert.equal(r.output, '', `${inventory} ${config.host}: keepalived -t warned:\n${r.output}`);
          checked++;
        }
      }
      assert.ok(checked >= 12, `only ${checked} configs checked`);
      t.diagnostic(`${checked} configs accepted`);
    });
  });

  test('rejects a rendered config whose check script is missing (the harness can fail)', async (t) => {
    await withStage(t, (ns, tmp, rendered) => {
      const files = rendered.find((r) => r.inventory.endsWith('example.yml'))?.files ?? [];
      const config = files.find((f) => f.kind === 'config');
      assert.ok(config);
      const conf = stage(join(tmp, 'control'), [], config);
      const r = run('ip', ['netns', 'exec', ns, 'keepalived', '-t', '-l', '-f', conf]);
      assert.notEqual(r.status, 0, 'keepalived -t accepted a config with a missing script');
      assert.match(r.output, /chk_nginx/);
    });
  });
});
