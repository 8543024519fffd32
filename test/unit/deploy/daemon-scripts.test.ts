// Input: deploy's service, wait and rollback scripts for the supervised (non-systemd) haup agent, with every path in
// a temp dir and a small sh program standing in for the agent. Output: what real `sh` does with them — the pid it
// reports, the signals the agent got, the files left behind.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync, linkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  EXIT_CHECK_FAILED,
  parseLogMark,
  parsePid,
  parseWaitOutput,
  rollbackScript,
  serviceScript,
  waitScript,
  type DaemonSpec,
} from '../../../cli/deploy/daemon-scripts.js';
import { snapshotOf, statesKey, updatedLine } from '../../../cli/deploy/expect.js';
import { writeStatus, type AgentStatus } from '../../../agent/status.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'haup-daemon-'));
const started: number[] = [];

const spec: DaemonSpec = {
  engine: 'haup',
  init: 'none',
  nodePath: '/bin/sh',
  keepalivedPath: '/usr/sbin/keepalived',
  napFifo: join(dir, 'nap.fifo'),
  paths: {
    config: join(dir, 'keepalived.conf'),
    scriptsDir: join(dir, 'scripts'),
    unit: null,
    service: 'haup-agent',
    pidfile: join(dir, 'run', 'haup-agent.pid'),
    agent: join(dir, 'agent.sh'),
    stateFile: join(dir, 'run', 'agent-state.json'),
    log: join(dir, 'log', 'agent.log'),
  },
};

// Stands in for haup-agent: "check FILE" fails on the word "bogus"; "run -f FILE" dies on "die", else writes its
// pidfile and a status file with the config's SHA-256, rewrites it on SIGHUP and exits on SIGTERM.
writeFileSync(
  spec.paths.agent as string,
  `case "$1" in
check) if grep -q bogus "$2"; then echo "$2:1: unknown keyword bogus" >&2; exit 1; fi; exit 0 ;;
esac
conf=$3
if grep -q die "$conf"; then echo "fake agent: refusing to run" >&2; exit 1; fi
if grep -q slow "$conf"; then sleep 1; fi
mkdir -p '${join(dir, 'run')}' # like the agent, it makes its own run directory
echo $$ > '${spec.paths.pidfile}'
n=0
write() { n=$((n+1)); h=$(sha256sum < "$conf" | cut -d' ' -f1); printf '{\\n  "agent": "haup-agent",\\n  "pid": %s,\\n  "configFile": "%s",\\n  "configHash": "%s",\\n  "updatedAt": "%s",\\n  "instances": []\\n}\\n' $$ "$conf" "$h" "$$-$n" > '${spec.paths.stateFile}.tmp'; mv '${spec.paths.stateFile}.tmp' '${spec.paths.stateFile}'; if [ -p '${spec.paths.stateFile}.wake' ]; then echo 1<>'${spec.paths.stateFile}.wake'; fi; if [ -n "\${HAUP_NOTIFY_FD:-}" ]; then echo >&9; exec 9>&-; unset HAUP_NOTIFY_FD; fi; echo "fake agent $$: wrote status $n"; }
write
trap write HUP
trap 'rm -f "${spec.paths.pidfile}"; echo "fake agent $$: stopped"; exit 0' TERM
while :; do sleep 1 & wait $!; done
`,
);
chmodSync(spec.paths.agent as string, 0o755);

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function sh(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('sh', ['-c', script], { encoding: 'utf8', timeout: 20_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function look(previous: string, pid: number | null, timeoutMs = 3000) {
  const r = await sh(waitScript(spec, { previous, pid, timeoutMs }));
  assert.equal(r.code, 0, r.stderr);
  return snapshotOf(parseWaitOutput(r.stdout));
}

after(() => {
  for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves once some process has the FIFO open for reading (a non-blocking open for writing fails with ENXIO until then). */
async function readerOn(fifo: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      closeSync(openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK));
      return;
    } catch (err) {
      if (i > 3000 || !['ENXIO', 'ENOENT'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

describe('daemon scripts (supervised haup agent, real sh)', () => {
  let pid = 0;

  test('start runs the agent in the background and prints its pid', async () => {
    writeFileSync(spec.paths.config, 'vrrp_instance A {}\n');
    const r = await sh(serviceScript(spec, 'start', { daemonReload: false }));
    assert.equal(r.code, 0, r.stderr);
    pid = parsePid(r.stdout) ?? 0;
    started.push(pid);
    assert.ok(pid > 0 && alive(pid));
    assert.equal(parseLogMark(r.stdout), null, 'no log directory before the first start: no mark, every line is new');
    const snap = await look('', pid);
    assert.equal(snap.status?.pid, pid, 'the pid printed is the agent itself (setsid did not fork)');
    assert.equal(snap.pid, pid);
    assert.equal(snap.status?.configHash, sha('vrrp_instance A {}\n'));
  });

  test('reload checks the config, sends SIGHUP, and the wait returns when the status changes', async () => {
    const before = await look('', null);
    writeFileSync(spec.paths.config, 'vrrp_instance B {}\n');
    const r = await sh(serviceScript(spec, 'reload', { daemonReload: false }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parsePid(r.stdout), pid);
    const t0 = performance.now();
    const snap = await look(before.observed, pid);
    assert.ok(performance.now() - t0 < 2500, 'returned on the change, not at the timeout');
    assert.notEqual(snap.observed, before.observed);
    assert.equal(snap.status?.configHash, sha('vrrp_instance B {}\n'));
    assert.equal(updatedLine(JSON.stringify(snap.status, null, 2)), snap.observed.trimEnd());
  });

  test('reload of a config the agent rejects exits 3 and leaves the agent alone', async () => {
    const before = await look('', null);
    writeFileSync(spec.paths.config, 'bogus\n');
    const r = await sh(serviceScript(spec, 'reload', { daemonReload: false }));
    assert.equal(r.code, EXIT_CHECK_FAILED);
    assert.match(r.stderr, /unknown keyword bogus/);
    const snap = await look(before.observed, null, 300);
    assert.equal(snap.observed, before.observed, 'no SIGHUP was sent');
    assert.ok(alive(pid));
  });

  test('restart stops the old agent (SIGTERM, waits until it is gone) and starts a new one', async () => {
    writeFileSync(spec.paths.config, 'vrrp_instance C {}\n');
    const r = await sh(serviceScript(spec, 'restart', { daemonReload: false }));
    assert.equal(r.code, 0, r.stderr);
    const next = parsePid(r.stdout) ?? 0;
    started.push(next);
    assert.notEqual(next, pid);
    assert.ok(!alive(pid), 'the old agent is gone before the new one starts');
    assert.equal((await look('', next)).status?.pid, next);
    pid = next;
  });

  test('a restart can wait for the new agent in the same script: the first look already has its status', async () => {
    writeFileSync(spec.paths.config, 'vrrp_instance D {}\n');
    const r = await sh(serviceScript(spec, 'restart', { daemonReload: false, wait: { previous: '', timeoutMs: 3000 } }));
    assert.equal(r.code, 0, r.stderr);
    const [service, waited] = r.stdout.split(/^wait-begin$/m) as [string, string];
    const next = parsePid(service) ?? 0;
    started.push(next);
    assert.ok(next > 0 && next !== pid && !alive(pid));
    const snap = snapshotOf(parseWaitOutput(waited));
    assert.equal(snap.watchAlive, true);
    assert.equal(snap.status?.pid, next, 'the status file of the new agent, not the old one');
    assert.equal(snap.status?.configHash, sha('vrrp_instance D {}\n'));
    pid = next;
  });

  test('a service script that waits reports a new agent that dies at once, with its own log lines', async () => {
    writeFileSync(spec.paths.config, 'die\n');
    const r = await sh(serviceScript(spec, 'restart', { daemonReload: false, wait: { previous: '', timeoutMs: 5000 } }));
    assert.equal(r.code, 0, r.stderr);
    const out = parseWaitOutput(r.stdout.split(/^wait-begin$/m)[1] ?? '');
    assert.equal(out.watchAlive, false);
    assert.deepEqual(out.log, ['fake agent: refusing to run']);
    writeFileSync(spec.paths.config, 'vrrp_instance D {}\n');
    const again = await sh(serviceScript(spec, 'start', { daemonReload: false }));
    pid = parsePid(again.stdout) ?? 0;
    started.push(pid);
  });

  test('the wait returns at once when the watched agent dies, with only its own log lines', async () => {
    writeFileSync(spec.paths.config, 'die\n');
    const r = await sh(serviceScript(spec, 'restart', { daemonReload: false }));
    assert.equal(r.code, 0, r.stderr);
    const dead = parsePid(r.stdout) ?? 0;
    const mark = parseLogMark(r.stdout);
    assert.match(mark ?? '', /^haup-deploy \d+\.\d+$/);
    assert.ok(readFileSync(spec.paths.log as string, 'utf8').includes(`${mark}: restart\n`), 'the mark line is in the log');
    const t0 = performance.now();
    const out = parseWaitOutput((await sh(waitScript(spec, { previous: '', pid: dead, timeoutMs: 5000, logMark: parseLogMark(r.stdout) }))).stdout);
    assert.ok(performance.now() - t0 < 2500);
    assert.equal(out.watchAlive, false);
    assert.deepEqual(out.log, ['fake agent: refusing to run']);
  });

  test('rollback restores the previous files, removes new ones and starts the previous agent again', async () => {
    writeFileSync(spec.paths.config, 'vrrp_instance C {}\n');
    linkSync(spec.paths.config, `${spec.paths.config}.haup-prev`);
    rmSync(spec.paths.config);
    writeFileSync(spec.paths.config, 'die\n');
    const extra = join(dir, 'scripts-new.sh');
    writeFileSync(extra, 'new');
    const r = await sh(
      rollbackScript(spec, [{ path: spec.paths.config, existed: true }, { path: extra, existed: false }], {
        backupSuffix: '.haup-prev',
        wasRunning: true,
        failedAction: 'restart',
        daemonReload: false,
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(spec.paths.config, 'utf8'), 'vrrp_instance C {}\n');
    assert.ok(!existsSync(`${spec.paths.config}.haup-prev`));
    assert.ok(!existsSync(extra));
    const back = parsePid(r.stdout) ?? 0;
    started.push(back);
    assert.equal((await look('', back)).status?.configHash, sha('vrrp_instance C {}\n'));
  });

  test('rollback of a first deploy stops the agent it started', async () => {
    const p = (await look('', null)).pid ?? 0;
    const r = await sh(rollbackScript(spec, [], { backupSuffix: '.haup-prev', wasRunning: false, failedAction: 'start', daemonReload: false }));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!alive(p));
  });

  test('under bash a start hands the agent the FIFO its wait naps on: the wait ends at the readiness line, not its next look', async () => {
    writeFileSync(spec.paths.config, 'vrrp_instance slow {}\n'); // the stand-in writes its first status after 1 s
    rmSync(spec.paths.stateFile as string, { force: true });
    rmSync(`${spec.paths.stateFile}.wake`, { force: true });
    const script = serviceScript(spec, 'start', { daemonReload: false, wait: { previous: '', timeoutMs: 20_000 } });
    assert.match(script, /HAUP_NOTIFY_FD=9 setsid /);
    // Every look 5 s apart: only the agent's line ends the wait about 1 s in.
    const slow = script.replace('nap 0.02', 'nap 5').replace('nap 0.05', 'nap 5').replace('nap 0.$r', 'nap 5');
    const t0 = performance.now();
    const r = await run('bash', ['-c', slow], { encoding: 'utf8', timeout: 30_000 });
    const took = performance.now() - t0;
    const [service, waited] = r.stdout.split(/^wait-begin$/m) as [string, string];
    const p = parsePid(service) ?? 0;
    started.push(p);
    const snap = snapshotOf(parseWaitOutput(waited));
    assert.equal(snap.status?.pid, p);
    assert.ok(took >= 900 && took < 3000, `ended at the readiness line (${took.toFixed(0)} ms)`);
    process.kill(p, 'SIGTERM');
  });
});

describe('daemon scripts under systemd and for keepalived', () => {
  const systemd: DaemonSpec = { ...spec, init: 'systemd', paths: { ...spec.paths, service: 'haup-agent', unit: '/etc/systemd/system/haup-agent.service' } };
  const keepalived: DaemonSpec = {
    engine: 'keepalived',
    init: 'none',
    nodePath: '/usr/bin/node',
    keepalivedPath: '/usr/sbin/keepalived',
    paths: { config: '/etc/keepalived/keepalived.conf', scriptsDir: '/etc/keepalived/scripts', unit: null, service: 'keepalived', pidfile: '/run/keepalived.pid', agent: null, stateFile: null, log: null },
  };
  const body = (s: string) => s.split('\n').filter((l) => !/^\w+\(\) \{/.test(l)).join('\n');

  test('under systemd, a first start enables and starts the unit after daemon-reload, and reports its MainPID', () => {
    const s = serviceScript(systemd, 'start', { daemonReload: true });
    assert.match(s, /^systemctl daemon-reload$/m);
    assert.match(s, /systemctl enable --quiet haup-agent\.service && systemctl restart haup-agent\.service/);
    assert.match(s, /systemctl show -p MainPID --value haup-agent\.service/);
    assert.doesNotMatch(body(s), /setsid/);
  });
  test('under systemd, reload goes through systemctl reload after the agent checked the config', () => {
    const s = serviceScript(systemd, 'reload', { daemonReload: false });
    assert.doesNotMatch(s, /daemon-reload/);
    const lines = s.trimEnd().split('\n');
    assert.match(lines.at(-2) ?? '', /check "\$CONF"/);
    assert.equal(lines.at(-1), 'reload_daemon');
    assert.match(s, /systemctl reload haup-agent\.service/);
  });
  test('keepalived is checked with keepalived -t before every start, reload and restart', () => {
    for (const action of ['start', 'reload', 'restart'] as const) {
      assert.match(serviceScript(keepalived, action, { daemonReload: false }), /\/usr\/sbin\/keepalived -t -f "\$CONF" >&2 \|\| \{/);
    }
    assert.match(serviceScript(keepalived, 'start', { daemonReload: false }), /\/usr\/sbin\/keepalived -f "\$CONF" -p "\$PIDF"/);
  });
  test('a rollback of a first start under systemd stops and disables the unit', () => {
    const s = rollbackScript(systemd, [{ path: '/etc/systemd/system/haup-agent.service', existed: false }], { backupSuffix: '.haup-prev', wasRunning: false, failedAction: 'start', daemonReload: true });
    assert.match(s, /^rm -f -- \/etc\/systemd\/system\/haup-agent\.service$/m);
    assert.match(s, /^systemctl daemon-reload$/m);
    assert.match(s, /stop_daemon; systemctl disable --quiet haup-agent\.service/);
  });
  test('reads the clock in centiseconds without octal surprises', async () => {
    const now = /^now\(\) \{.*\}$/m.exec(serviceScript(spec, 'start', { daemonReload: false }))?.[0] ?? '';
    for (const [uptime, cs] of [['9.08', 908], ['0.09', 9], ['12345.60', 1234560]] as const) {
      const r = await sh(`${now.replace('read -r u rest < /proc/uptime', `u=${uptime}`)}\nnow; echo $t`);
      assert.equal(r.stdout.trim(), String(cs), r.stderr);
    }
  });
  test('under bash the wait loop naps without running sleep; under sh it falls back to sleep', async () => {
    // A shell function named sleep counts the calls that would fork /bin/sleep.
    const count = join(dir, 'sleeps');
    const script = (shell: string) => `${shell}\nsleep() { echo x >> '${count}'; command sleep "$@"; }\n`;
    const quiet: DaemonSpec = { ...spec, paths: { ...spec.paths, stateFile: join(dir, 'no-state.json') } };
    const wait = waitScript(quiet, { previous: '', pid: null, timeoutMs: 300 });
    for (const [shell, forks] of [['bash', false], ['sh', true]] as const) {
      rmSync(count, { force: true });
      const t0 = performance.now();
      const r = await run(shell, ['-c', wait.replace('\n', script(''))], { encoding: 'utf8', timeout: 20_000 });
      const took = performance.now() - t0;
      const calls = existsSync(count) ? readFileSync(count, 'utf8').split('\n').filter(Boolean).length : 0;
      assert.equal(calls > 0, forks, `${shell}: ${calls} sleep calls`);
      assert.ok(took >= 250, `${shell}: the loop still waits its timeout (${took.toFixed(0)} ms)`);
      assert.match(r.stdout, /^observed-begin$/m);
    }
    assert.ok(statSync(spec.napFifo as string).isFIFO(), 'bash napped on the FIFO it made');
    assert.equal(existsSync(`${quiet.paths.stateFile}.wake`), false, 'the wake FIFO is the agent\'s to make');
  });
  test('a wait that began before the agent made its wake FIFO switches to it when it appears (a first start)', async () => {
    const file = join(dir, 'late.json');
    const status = (updatedAt: string, state: string) => ({ pid: 1, updatedAt, instances: [{ state }] }) as unknown as AgentStatus;
    const late: DaemonSpec = { ...spec, paths: { ...spec.paths, stateFile: file } };
    writeStatus(file, status('t1', 'BACKUP'));
    const script = waitScript(late, { previous: statesKey(readFileSync(file, 'utf8')), pid: null, timeoutMs: 20_000, observe: 'states' });
    // Ticks of 0.3 s before the FIFO is there, 5 s after: only a wakeup ends the wait soon after the change.
    const slow = script.replace('nap 0.02', 'nap 0.3').replace('nap 0.05', 'nap 0.3').replace('nap 0.$r', 'nap 5');
    rmSync(spec.napFifo as string, { force: true });
    const pending = run('bash', ['-c', slow], { encoding: 'utf8', timeout: 30_000 });
    await readerOn(spec.napFifo as string); // the wait runs, napping on the plain FIFO
    execFileSync('mkfifo', ['-m', '600', `${file}.wake`]);
    await readerOn(`${file}.wake`); // and has switched to the agent's FIFO
    const t0 = performance.now();
    writeStatus(file, status('t2', 'MASTER'));
    assert.equal(snapshotOf(parseWaitOutput((await pending).stdout)).states, '      "state": "MASTER"|');
    assert.ok(performance.now() - t0 < 2500, `woken (${(performance.now() - t0).toFixed(0)} ms after the write)`);
  });
  test('a wait ends when the agent writes its status (and the wake FIFO), not at its next look (set to 5 s here)', async () => {
    const file = join(dir, 'woken.json');
    const status = (updatedAt: string, state: string) => ({ pid: 1, updatedAt, instances: [{ state }] }) as unknown as AgentStatus;
    const woken: DaemonSpec = { ...spec, paths: { ...spec.paths, stateFile: file } };
    writeStatus(file, status('t1', 'BACKUP'));
    execFileSync('mkfifo', ['-m', '600', `${file}.wake`]); // as the agent does after its first status write
    const script = waitScript(woken, { previous: statesKey(readFileSync(file, 'utf8')), pid: null, timeoutMs: 20_000, observe: 'states' });
    const slow = script.replace('nap 0.$r', 'nap 5');
    assert.notEqual(slow, script);
    const pending = run('bash', ['-c', slow], { encoding: 'utf8', timeout: 30_000 });
    await readerOn(`${file}.wake`); // the wait has started and naps on the FIFO
    const t0 = performance.now();
    writeStatus(file, status('t2', 'MASTER')); // the agent's own writer: rename into place, then a line to the FIFO
    const out = snapshotOf(parseWaitOutput((await pending).stdout));
    assert.equal(out.states, '      "state": "MASTER"|');
    assert.ok(performance.now() - t0 < 2500, `woken, not after the 5 s nap (${(performance.now() - t0).toFixed(0)} ms after the write)`);
  });
  test('a states wait ignores a status rewrite that changes only counters, and returns when a state changes', async () => {
    const file = join(dir, 'states.json');
    const status = (updated: string, state: string, sent: number) =>
      `{\n  "pid": 1,\n  "updatedAt": "${updated}",\n  "instances": [\n    {\n      "state": "${state}",\n      "vipsHeld": ${state === 'MASTER'},\n      "counters": { "sent": ${sent} }\n    }\n  ]\n}\n`;
    const quiet: DaemonSpec = { ...spec, paths: { ...spec.paths, stateFile: file } };
    writeFileSync(file, status('t1', 'BACKUP', 1));
    const previous = statesKey(status('t1', 'BACKUP', 1));
    assert.equal(previous, '      "state": "BACKUP",|      "vipsHeld": false,|');
    const wait = (timeoutMs: number) => sh(waitScript(quiet, { previous, pid: null, timeoutMs, observe: 'states' }));
    writeFileSync(file, status('t2', 'BACKUP', 2));
    const t0 = performance.now();
    const same = parseWaitOutput((await wait(400)).stdout);
    assert.ok(performance.now() - t0 >= 350, 'a counters-only rewrite does not end the wait');
    assert.equal(same.observed, '  "updatedAt": "t2",', 'observed is still the updatedAt line');
    const pending = wait(5000);
    setTimeout(() => writeFileSync(file, status('t3', 'MASTER', 3)), 150);
    const t1 = performance.now();
    const changed = snapshotOf(parseWaitOutput((await pending).stdout));
    assert.ok(performance.now() - t1 < 2500);
    assert.equal(changed.states, '      "state": "MASTER",|      "vipsHeld": true,|');
  });
  test('the started agent gets the nap pipe only as its readiness descriptor (bash), else not at all (sh)', () => {
    const script = serviceScript(spec, 'start', { daemonReload: false });
    assert.match(script, /then HAUP_NOTIFY_FD=9 setsid \S+ \S+ run -f "\$CONF" <\/dev\/null >>"\$LOG" 2>&1 & NOTIFY=1; else setsid \S+ \S+ run -f "\$CONF" <\/dev\/null >>"\$LOG" 2>&1 9<&- & fi/);
  });
  test('quotes every path so a strange one cannot run commands', () => {
    const odd: DaemonSpec = { ...spec, paths: { ...spec.paths, config: "/etc/x'$(reboot)" } };
    assert.match(serviceScript(odd, 'start', { daemonReload: false }), /^CONF='\/etc\/x'\\''\$\(reboot\)'$/m);
  });
});

describe('switching engines (supervised, real sh): the other daemon stops first and a rollback restarts it', () => {
  // A stand-in keepalived: "-t" accepts any config; otherwise it daemonizes (a new sh writes its own pid) and exits.
  const fakeKeepalived = join(dir, 'keepalived');
  writeFileSync(
    fakeKeepalived,
    `case "$1" in -t) exit 0 ;; esac
pidf=; while [ $# -gt 0 ]; do case "$1" in -p) pidf=$2; shift ;; esac; shift; done
sh -c 'echo $$ > "$1"; trap "rm -f \\"$1\\"; exit 0" TERM; while :; do sleep 1 & wait $!; done' fake-keepalived "$pidf" </dev/null >/dev/null 2>&1 &
`,
  );
  chmodSync(fakeKeepalived, 0o755);
  const ka: DaemonSpec = {
    engine: 'keepalived',
    init: 'none',
    nodePath: '/bin/sh',
    keepalivedPath: fakeKeepalived,
    paths: { config: join(dir, 'ka.conf'), scriptsDir: join(dir, 'ka-scripts'), unit: null, service: 'keepalived', pidfile: join(dir, 'run', 'keepalived.pid'), agent: null, stateFile: null, log: join(dir, 'log', 'ka.log') },
  };
  const pidIn = (file: string) => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : 0);

  test('starting keepalived stops the haup agent that still runs, and a rollback starts the agent again', async () => {
    writeFileSync(spec.paths.config, 'vrrp_instance A {}\n');
    writeFileSync(ka.paths.config, 'vrrp_instance A {}\n');
    const first = await sh(serviceScript(spec, 'restart', { daemonReload: false }));
    assert.equal(first.code, 0, first.stderr);
    const agent = parsePid(first.stdout) ?? 0;
    started.push(agent);
    assert.ok(alive(agent));
    // The agent writes its pidfile itself, a moment after the script returns (deploy waits for it to be ready).
    for (let i = 0; i < 500 && pidIn(spec.paths.pidfile) !== agent; i++) await new Promise((r) => setTimeout(r, 10));

    const r = await sh(serviceScript(ka, 'start', { daemonReload: false, rival: spec }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^rival-stopped$/m);
    const kaPid = parsePid(r.stdout) ?? 0;
    started.push(kaPid);
    assert.ok(!alive(agent), 'the agent was stopped');
    assert.ok(kaPid > 0 && alive(kaPid), 'keepalived runs');

    const rb = await sh(rollbackScript(ka, [], { backupSuffix: '.haup-prev', wasRunning: false, failedAction: 'start', daemonReload: false, rival: spec }));
    assert.equal(rb.code, 0, rb.stderr);
    assert.ok(!alive(kaPid), 'the keepalived this deploy started is stopped');
    // The restarted agent writes its pidfile itself, a moment after the script returns.
    let again = 0;
    for (let i = 0; i < 100 && !(again > 0 && again !== agent); i++) {
      await new Promise((r) => setTimeout(r, 20));
      again = pidIn(spec.paths.pidfile);
    }
    started.push(again);
    assert.ok(again > 0 && again !== agent && alive(again), 'the agent runs again');
    assert.equal(parsePid(rb.stdout), null, 'the restarted rival is not reported as this engine\'s pid');
  });

  test('a reload never stops the other daemon', () => {
    assert.doesNotMatch(serviceScript(ka, 'reload', { daemonReload: false, rival: spec }), /stop_rival/);
  });
});
