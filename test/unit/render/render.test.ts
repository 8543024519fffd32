// Input: inventories and template sets (built-in, user folders, broken ones). Output: rendered files
// with the right paths and modes, the seed's keepalived.conf, and HAUP_TEMPLATE for anything missing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaupError } from '../../../cli/errors.js';
import { loadInventory, loadInventoryText } from '../../../cli/inventory/load.js';
import type { InventoryModel } from '../../../cli/inventory/model.js';
import { runRender } from '../../../cli/render/command.js';
import { renderInventory, type RenderedFile, type TemplateSet } from '../../../cli/render/render.js';
import { loadTemplates } from '../../../cli/render/templates.js';
import { outputPath } from '../../../cli/render/write.js';

const builtin = await loadTemplates(null);
const example = (await loadInventory('inventories/example.yml', { env: {}, home: '/home/haup' })).model;

function file(files: RenderedFile[], host: string, path: string): RenderedFile {
  const f = files.find((x) => x.host === host && x.path === path);
  assert.ok(f, `no ${path} for ${host}; have ${files.map((x) => `${x.host}:${x.path}`).join(', ')}`);
  return f;
}

function templateError(fn: () => unknown): HaupError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof HaupError, `expected HaupError, got ${String(e)}`);
    assert.equal(e.code, 'HAUP_TEMPLATE');
    return e;
  }
  return assert.fail('rendered without an error');
}

function withTemplate(name: string, text: string): TemplateSet {
  return new Map([...builtin, [name, { name, text, origin: `/my/templates/${name}` }]]);
}

/** The instance block of a rendered keepalived.conf, comments dropped and whitespace collapsed. */
function instanceBlock(conf: string): string {
  const start = conf.indexOf('vrrp_instance');
  return conf.slice(start).split('\n').filter((l) => !l.trim().startsWith('!')).map((l) => l.trim()).filter(Boolean).join(' ');
}

describe('the seed example', () => {
  const files = renderInventory(example, builtin);

  test('renders the seed master instance: BACKUP, nopreempt, priority 100, PASS 1111, the labelled VIP, chk_nginx', () => {
    assert.equal(
      instanceBlock(file(files, '10.0.0.11', '/etc/haup/keepalived.conf').content),
      'vrrp_instance VI_1 { state BACKUP interface eth0 virtual_router_id 254 priority 100 advert_int 1 nopreempt ' +
        'authentication { auth_type PASS auth_pass 1111 } virtual_ipaddress { 192.168.0.174 dev eth0 label eth0:0 } track_script { chk_nginx } }',
    );
  });

  test('renders the seed backup instance with priority 99 and otherwise the same settings', () => {
    const master = instanceBlock(file(files, '10.0.0.11', '/etc/haup/keepalived.conf').content);
    const backup = instanceBlock(file(files, '10.0.0.12', '/etc/haup/keepalived.conf').content);
    assert.equal(backup, master.replace('priority 100', 'priority 99'));
  });

  test('runs the nginx check every 3 s from the contract\'s scripts folder', () => {
    const conf = file(files, '10.0.0.11', '/etc/haup/keepalived.conf').content;
    assert.match(conf, /vrrp_script chk_nginx \{\n {2}script "\/etc\/haup\/scripts\/check_nginx\.sh"\n {2}interval 3\n/);
    assert.match(conf, /enable_script_security\n {2}script_user root/);
  });

  test('gives configs 0600, scripts 0755 and the unit 0644', () => {
    assert.deepEqual(
      files.filter((f) => f.host === '10.0.0.11').map((f) => [f.path, f.mode.toString(8), f.kind]),
      [
        ['/etc/haup/keepalived.conf', '600', 'config'],
        ['/etc/haup/scripts/check_nginx.sh', '755', 'script'],
        ['/etc/systemd/system/haup-agent.service', '644', 'unit'],
      ],
    );
  });

  test('renders the systemd unit the agent contract names', () => {
    const unit = file(files, '10.0.0.12', '/etc/systemd/system/haup-agent.service').content;
    assert.match(unit, /^ExecStart=\/usr\/bin\/node \/opt\/haup\/haup-agent\.cjs run -f \/etc\/haup\/keepalived\.conf$/m);
    assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    assert.match(unit, /^Restart=on-failure$/m);
  });
});

describe('templates', () => {
  test('fails with HAUP_TEMPLATE naming the template when a check template does not exist', () => {
    const { model } = loadInventoryText('defaults: { interface: eth0, check: { template: redis } }\npairs:\n  - { name: db, vrid: 9, vips: [10.0.0.9], master: { host: 10.0.0.1, priority: 2 }, backup: { host: 10.0.0.2, priority: 1 } }\n', '/x/inv.yml', { env: {} });
    const e = templateError(() => renderInventory(model, builtin));
    assert.equal(e.message, 'template check_redis.sh.hbs not found');
    assert.match(e.hint ?? '', /nginx/);
  });

  test('fails with HAUP_TEMPLATE on a variable the view does not have, instead of rendering it empty', () => {
    const e = templateError(() => renderInventory(example, withTemplate('keepalived.conf.hbs', 'router_id {{routerId}}\n{{#each instances}}{{nosuchfield}}{{/each}}')));
    assert.match(e.message, /^\/my\/templates\/keepalived\.conf\.hbs \(for 10\.0\.0\.11\): unknown variable or helper "nosuchfield"/);
  });

  test('fails with HAUP_TEMPLATE on a template syntax error', () => {
    const e = templateError(() => renderInventory(example, withTemplate('keepalived.conf.hbs', '{{#each instances}}unclosed')));
    assert.match(e.message, /^\/my\/templates\/keepalived\.conf\.hbs/);
  });

  test('uses a template from the user folder and the built-in ones for the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h4-tpl-'));
    try {
      writeFileSync(join(dir, 'keepalived.conf.hbs'), '! custom for {{host.id}}\n');
      const files = renderInventory(example, await loadTemplates(dir));
      assert.equal(file(files, '10.0.0.11', '/etc/haup/keepalived.conf').content, '! custom for 10.0.0.11\n');
      assert.match(file(files, '10.0.0.11', '/etc/haup/scripts/check_nginx.sh').content, /^#!\/bin\/sh\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('reports a template folder that does not exist', async () => {
    await assert.rejects(loadTemplates('/nonexistent/haup-templates'), (e: unknown) => e instanceof HaupError && e.code === 'HAUP_TEMPLATE' && /\/nonexistent\/haup-templates/.test(e.message));
  });

  test('refuses to render a model value that could inject a directive, even if validation missed it', () => {
    const evil: InventoryModel = structuredClone(example);
    const inst = evil.hosts[0]?.instances[0];
    assert.ok(inst);
    inst.interface = 'eth0\n}\nvrrp_instance evil {';
    const e = templateError(() => renderInventory(evil, builtin));
    assert.match(e.message, /instances\[0\]\.interface holds a character that could inject/);
  });
});

describe('haup render', () => {
  test('writes DIR/<host>/<path> with the files\' modes and lists them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h4-out-'));
    const out: string[] = [];
    const sink = { write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WritableStream;
    try {
      await runRender({ inventory: 'inventories/example.yml', out: dir }, { out: sink, err: sink });
      const conf = join(dir, '10.0.0.12/etc/haup/keepalived.conf');
      assert.equal(statSync(conf).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, '10.0.0.12/etc/haup/scripts/check_nginx.sh')).mode & 0o777, 0o755);
      assert.equal(statSync(join(dir, '10.0.0.12/etc/systemd/system/haup-agent.service')).mode & 0o777, 0o644);
      assert.match(readFileSync(conf, 'utf8'), /priority 99/);
      assert.match(out.join(''), /rendered 6 files for 2 hosts into /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses an output path that escapes the folder', () => {
    assert.throws(() => outputPath('/tmp/out', { host: '..', path: '/etc/passwd' }), /outside/);
    assert.equal(outputPath('/tmp/out', { host: 'h1', path: '/etc/haup/keepalived.conf' }), '/tmp/out/h1/etc/haup/keepalived.conf');
  });
});
