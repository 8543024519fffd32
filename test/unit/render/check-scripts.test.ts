// Input: rendered check scripts run for real against stand-in services (sleep processes, a local TCP
// and HTTP server). Output: exit 0 while healthy, a restart that keeps the node in service, and a
// SIGTERM to the VRRP daemon's pid when the service cannot be brought back (the seed's behaviour).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventoryText } from '../../../cli/inventory/load.js';
import { renderInventory } from '../../../cli/render/render.js';
import { loadTemplates } from '../../../cli/render/templates.js';

const templates = await loadTemplates(null);
let dir = '';
const children: ChildProcess[] = [];
const stray: number[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'h4chk'));
});

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of stray) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Renders the one check script of a one-pair inventory with `check`, its daemon pidfile moved to `dir`. */
function script(name: string, check: string, edit: (s: string) => string = (s) => s): string {
  const yaml = `defaults: { interface: eth0, check: ${check} }\npairs:\n  - { name: web, vrid: 9, vips: [10.0.0.9], master: { host: 10.0.0.1, priority: 2 }, backup: { host: 10.0.0.2, priority: 1 } }\n`;
  const { model } = loadInventoryText(yaml, join(dir, 'inv.yml'), { env: {} });
  const f = renderInventory(model, templates).find((x) => x.kind === 'script');
  assert.ok(f);
  const path = join(dir, `${name}.sh`);
  const moved = f.content.replace("DAEMON_PIDFILE='/run/haup/haup-agent.pid'", `DAEMON_PIDFILE='${join(dir, 'agent.pid')}'`);
  assert.notEqual(moved, f.content, 'the daemon pidfile line was not found');
  writeFileSync(path, edit(moved), { mode: 0o755 });
  return path;
}

function runScript(path: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const c = spawn(path, [], { stdio: 'ignore' });
    c.on('error', reject);
    c.on('exit', (code) => resolve(code));
  });
}

function sleeper(): ChildProcess {
  const c = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(c);
  return c;
}

function exited(c: ChildProcess): Promise<NodeJS.Signals | null> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.signalCode);
  return new Promise((resolve) => c.on('exit', (_code, signal) => resolve(signal)));
}

describe('check_nginx.sh', () => {
  const check = (start: string) => `{ template: nginx, process: sleep, pidfile: ${join(dir, 'svc.pid')}, start: [${start}] }`;

  test('exits 0 while the process in the pidfile is alive, without touching the daemon', async () => {
    const svc = sleeper();
    const agent = sleeper();
    writeFileSync(join(dir, 'svc.pid'), `${svc.pid}\n`);
    writeFileSync(join(dir, 'agent.pid'), `${agent.pid}\n`);
    assert.equal(await runScript(script('alive', check('/bin/false'))), 0);
    assert.equal(agent.exitCode, null);
    assert.equal(agent.signalCode, null);
    svc.kill('SIGKILL');
    await exited(svc);
  });

  test('restarts a stopped service and stays in service (no failover)', async () => {
    const agent = sleeper();
    writeFileSync(join(dir, 'agent.pid'), `${agent.pid}\n`);
    writeFileSync(join(dir, 'svc.pid'), '999999999\n'); // stale pidfile
    const start = join(dir, 'start.sh');
    writeFileSync(start, `#!/bin/sh\nsleep 60 >/dev/null 2>&1 &\necho $! > ${join(dir, 'svc.pid')}\n`, { mode: 0o755 });
    assert.equal(await runScript(script('restart', check(start))), 0);
    const pid = Number(readFileSync(join(dir, 'svc.pid'), 'utf8'));
    stray.push(pid);
    assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'sleep');
    assert.equal(agent.signalCode, null);
  });

  test('stops the VRRP daemon with SIGTERM when the service cannot be restarted', async () => {
    const agent = sleeper();
    writeFileSync(join(dir, 'agent.pid'), `${agent.pid}\n`);
    rmSync(join(dir, 'svc.pid'), { force: true });
    const started = Date.now();
    assert.equal(await runScript(script('dead', check('/bin/false'))), 1);
    assert.equal(await exited(agent), 'SIGTERM');
    assert.ok(Date.now() - started < 8000, 'the re-check window is bounded');
  });

  test('reports the failure but leaves the daemon alone with step_aside: false', async () => {
    const agent = sleeper();
    writeFileSync(join(dir, 'agent.pid'), `${agent.pid}\n`);
    rmSync(join(dir, 'svc.pid'), { force: true });
    const path = script('noaside', `{ template: nginx, process: sleep, pidfile: ${join(dir, 'svc.pid')}, start: [/bin/false], step_aside: false }`);
    assert.equal(await runScript(path), 1);
    assert.equal(agent.signalCode, null);
    assert.ok(existsSync(`/proc/${agent.pid}`));
  });
});

describe('check_tcp.sh and check_http.sh', () => {
  let server: Server;
  let port = 0;
  let status = 200;
  const seen: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.statusCode = status;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('tcp: exits 0 when the port accepts and 1 when nothing listens', async () => {
    assert.equal(await runScript(script('tcp-up', `{ template: tcp, port: ${port} }`)), 0);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.equal(await runScript(script('tcp-down', `{ template: tcp, port: ${closedPort} }`)), 1);
  });

  test('http: passes a URL full of shell metacharacters to the server verbatim, running nothing', async () => {
    const marker = join(dir, 'pwned');
    const path = `/a;touch(${marker})&b=!*,c`;
    status = 200;
    seen.length = 0;
    assert.equal(await runScript(script('http-meta', `{ template: http, url: "http://127.0.0.1:${port}${path}" }`)), 0);
    assert.deepEqual(seen, [path]);
    assert.equal(existsSync(marker), false);
  });

  for (const client of ['curl', 'bash /dev/tcp'] as const) {
    test(`http (${client}): exits 0 on 200 and 1 on 500`, async () => {
      const noCurl = (s: string) => (client === 'curl' ? s : s.replace('command -v curl ', 'command -v haup-no-such-curl '));
      const path = script(`http-${client === 'curl' ? 'curl' : 'tcp'}`, `{ template: http, url: "http://127.0.0.1:${port}/health" }`, noCurl);
      status = 200;
      assert.equal(await runScript(path), 0);
      status = 500;
      assert.equal(await runScript(path), 1);
    });
  }
});
