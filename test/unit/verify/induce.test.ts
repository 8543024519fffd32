// Input: the scripts verify runs on nodes, run for real against throw-away processes in a temp dir (no root
// needed). Output: signals delivered, daemons started once, waits that end on time, parsed outputs.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINE_PATHS, type CheckSpec } from '../../../cli/inventory/model.js';
import {
  daemonFailureScript,
  daemonStartScript,
  parseInduceOutput,
  parseStartOutput,
  parseWaitOutput,
  serviceFailureScript,
  serviceRestoreScript,
  serviceTarget,
  waitVipsScript,
  type DaemonTarget,
} from '../../../cli/verify/induce.js';

const dir = mkdtempSync(join(tmpdir(), 'haup-verify-induce-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const target = (name: string): DaemonTarget => ({
  engine: 'haup',
  paths: { ...ENGINE_PATHS.haup, pidfile: join(dir, `${name}.pid`), stateFile: join(dir, `${name}.json`), log: join(dir, `${name}.log`), config: join(dir, 'none.conf') },
});

function sh(script: string): { code: number; stdout: string; stderr: string } {
  try {
    return { code: 0, stdout: execFileSync('sh', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), stderr: '' };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}

function exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return / [ZX] /.test(stat.slice(stat.lastIndexOf(')')));
  } catch {
    return true;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 250 && !exited(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return exited(pid);
}

describe('daemon failure scripts', () => {
  for (const mode of ['stop', 'kill'] as const) {
    test(`${mode} signals the pid in the pidfile and prints its command line and the clock`, async () => {
      const t = target(mode);
      // A daemon with a child, like keepalived and its VRRP process.
      const child = spawn('sh', ['-c', 'sleep 300 & wait'], { stdio: 'ignore' });
      const signal = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
      writeFileSync(t.paths.pidfile, `${child.pid}\n`);
      let kid: number | undefined;
      for (let i = 0; i < 100 && !kid; i++) {
        kid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim()) || undefined;
        if (!kid) await new Promise((r) => setTimeout(r, 10));
      }
      const r = sh(daemonFailureScript(t, mode));
      assert.equal(r.code, 0, r.stderr);
      const out = parseInduceOutput(r.stdout);
      assert.equal(out.pid, child.pid);
      assert.deepEqual(out.argv, ['sh', '-c', 'sleep 300 & wait']);
      if (mode === 'kill') {
        assert.deepEqual(out.kids, [kid], 'the children are listed');
        assert.ok(await gone(kid as number), 'and killed with it');
      } else process.kill(kid as number, 'SIGKILL');
      assert.equal(out.how, 'signal');
      assert.ok(out.clockMs !== null && Math.abs(out.clockMs - Date.now()) < 5000);
      assert.equal(await signal, mode === 'stop' ? 'SIGTERM' : 'SIGKILL');
    });
  }
  test('refuses, with exit code 4, when the daemon is not running', () => {
    const t = target('none');
    const r = sh(daemonFailureScript(t, 'stop'));
    assert.equal(r.code, 4);
    assert.match(r.stderr, /the daemon is not running/);
  });
});

describe('daemonStartScript', () => {
  test('starts the daemon with its recorded command line once, in its own session, and removes a stale status file', async () => {
    const t = target('start');
    writeFileSync(t.paths.stateFile as string, '{"stale":true}');
    const first = parseStartOutput(sh(daemonStartScript(t, ['sleep', '300'])).stdout);
    assert.equal(first.started, 'setsid');
    assert.ok(first.pid !== null);
    const pid = first.pid as number;
    try {
      // setsid execs the daemon (no fork), so the pid becomes `sleep` once exec is done. Until then it reads as the
      // forked shell, as setsid, or (in the middle of an exec) as an empty command line.
      const cmdline = () => readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      for (let i = 0; i < 200 && cmdline() !== 'sleep\u0000300\u0000'; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(cmdline(), 'sleep\u0000300\u0000');
      const sid = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[3];
      assert.equal(sid, String(pid), 'the daemon leads its own session');
      assert.throws(() => readFileSync(t.paths.stateFile as string));
      writeFileSync(t.paths.pidfile, `${pid}\n`);
      const second = parseStartOutput(sh(daemonStartScript(t, ['sleep', '300'])).stdout);
      assert.deepEqual(second, { pid, started: 'no' });
    } finally {
      process.kill(pid, 'SIGKILL');
      assert.ok(await gone(pid));
    }
  });
  test('waits for a daemon that is still exiting before it decides whether to start one', async () => {
    const t = target('exiting');
    const old = spawn('sleep', ['0.4'], { stdio: 'ignore' });
    writeFileSync(t.paths.pidfile, `${old.pid}\n`);
    const started = Date.now();
    // Async, so this process reaps the old `sleep` as soon as it exits (the script waits for it to be reaped).
    const out = await new Promise<string>((resolve, reject) =>
      execFile('sh', ['-c', daemonStartScript(t, ['sleep', '300'], { pids: old.pid === undefined ? [] : [old.pid], waitGoneMs: 5000 })], (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    const r = parseStartOutput(out);
    const took = Date.now() - started;
    assert.ok(took >= 300 && took < 4000, `waited ${took} ms for the old pid`);
    assert.equal(r.started, 'setsid', 'started a new daemon instead of taking the exiting one for a running one');
    process.kill(r.pid as number, 'SIGKILL');
    assert.ok(await gone(r.pid as number));
  });
  test('falls back to the contract command line when the old one is unknown', () => {
    const s = daemonStartScript({ engine: 'haup', paths: ENGINE_PATHS.haup }, null);
    assert.match(s, /setsid node \/opt\/haup\/haup-agent\.cjs run -f \/etc\/haup\/keepalived\.conf/);
    assert.match(daemonStartScript({ engine: 'keepalived', paths: ENGINE_PATHS.keepalived }, null), /setsid keepalived -f \/etc\/keepalived\/keepalived\.conf -p \/run\/keepalived\.pid/);
  });
});

describe('waitVipsScript', () => {
  const t: DaemonTarget = { engine: 'keepalived', paths: { ...ENGINE_PATHS.keepalived, pidfile: join(dir, 'k.pid') } };
  test('returns at once when a node already holds none of the VIPs it should release', () => {
    const w = parseWaitOutput(sh(waitVipsScript(t, ['192.0.2.77'], 'release', 5000)).stdout);
    assert.equal(w.met, true);
  });
  test('returns at once when the node holds the VIPs (keepalived: no status file to read)', () => {
    const w = parseWaitOutput(sh(waitVipsScript(t, ['127.0.0.1'], 'hold', 5000)).stdout);
    assert.equal(w.met, true);
  });
  test('gives up after its timeout, measured on the clock rather than counted in ticks', () => {
    const started = Date.now();
    const w = parseWaitOutput(sh(waitVipsScript(t, ['192.0.2.77'], 'hold', 300)).stdout);
    const took = Date.now() - started;
    assert.equal(w.met, false);
    assert.ok(took >= 250 && took < 3000, `took ${took} ms`);
    assert.ok(w.seenMs !== null);
  });
  test('for the haup agent, also waits for a MASTER line in the status file', () => {
    const a = target('wait');
    writeFileSync(a.paths.stateFile as string, '{\n  "instances": [\n    {\n      "state": "BACKUP",\n    }\n  ]\n}\n');
    assert.equal(parseWaitOutput(sh(waitVipsScript(a, ['127.0.0.1'], 'hold', 100)).stdout).met, false);
    writeFileSync(a.paths.stateFile as string, '{\n  "instances": [\n    {\n      "state": "MASTER",\n    }\n  ]\n}\n');
    assert.equal(parseWaitOutput(sh(waitVipsScript(a, ['127.0.0.1'], 'hold', 100)).stdout).met, true);
  });
});

describe('service scripts', () => {
  const check: CheckSpec = {
    template: 'nginx', interval: 3, timeout: null, weight: 0, rise: 1, fall: 1, service: 'nginx', process: 'nginx', pidfile: '/run/nginx.pid',
    start: ['/usr/sbin/nginx', '-c', "/etc/odd dir/nginx.conf"], host: '127.0.0.1', port: null, url: null, stepAside: true,
  };
  test('need a guarded service with a pidfile', () => {
    assert.deepEqual(serviceTarget(check), { service: 'nginx', pidfile: '/run/nginx.pid', process: 'nginx', start: check.start });
    assert.equal(serviceTarget(null), 'the pair has no check script');
    assert.match(String(serviceTarget({ ...check, template: 'tcp', service: null, process: null, pidfile: null })), /the tcp check guards no service/);
  });
  test('are valid sh with every value quoted', () => {
    const s = serviceTarget(check);
    assert.ok(typeof s !== 'string');
    const t = { engine: 'haup' as const, paths: ENGINE_PATHS.haup };
    for (const script of [serviceFailureScript(t, s), serviceRestoreScript(t, s, '/usr/sbin/nginx'), serviceRestoreScript(t, s, null)]) {
      assert.doesNotThrow(() => execFileSync('sh', ['-n', '-c', script]));
    }
    assert.match(serviceRestoreScript(t, s, null), /setsid \/usr\/sbin\/nginx -c '\/etc\/odd dir\/nginx\.conf'/);
  });
  test('a restore with nothing to undo leaves a running service alone', () => {
    const pidfile = join(dir, 'svc.pid');
    const child = spawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      writeFileSync(pidfile, `${child.pid}\n`);
      const r = sh(serviceRestoreScript(target('svc'), { service: 'sleeper', pidfile, process: 'sleep', start: ['/bin/false'] }, join(dir, 'not-covered')));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`svc-pid=${child.pid}`));
    } finally {
      child.kill('SIGKILL');
    }
  });
  test('a restore that cannot start the service says so with exit code 6', () => {
    const r = sh(serviceRestoreScript(target('svc2'), { service: 'ghost', pidfile: join(dir, 'ghost.pid'), process: 'ghost', start: ['/bin/false'] }, '/bin/false').replace('-ge 500', '-ge 5'));
    assert.equal(r.code, 6);
    assert.match(r.stderr, /ghost did not start within/);
  });
});
