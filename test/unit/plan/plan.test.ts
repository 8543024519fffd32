// Input: recorded facts-script output and desired files. Output: parsed facts, fact problems, host plans.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { factsScript, parseFacts } from '../../../cli/plan/facts.js';
import { factProblems, planHost, sha256, type DesiredFile } from '../../../cli/plan/plan.js';

const conf: DesiredFile = { path: '/etc/haup/keepalived.conf', mode: 0o600, content: 'vrrp_instance VI_1 {}\n', effect: 'reload' };
const agent: DesiredFile = { path: '/opt/haup/haup-agent.cjs', mode: 0o755, content: 'agent v1', effect: 'restart' };

const recorded = (extra: string) => `uid=0
sudo=1
node=v18.19.0
nodepath=/usr/bin/node
keepalived=/usr/sbin/keepalived
ip=1
ifaces=eth0 lo
init=sh
${extra}
state-begin
{"agent":"haup-agent"}

state-end
`;

describe('parseFacts', () => {
  test('reads every fact from the facts script output', () => {
    const files = `nofile /opt/haup/haup-agent.cjs\nhash-begin\n${sha256(conf.content)}  /etc/haup/keepalived.conf\nhash-end\nstat-begin\n600 0 /etc/haup/keepalived.conf\nstat-end`;
    const f = parseFacts(recorded(`${files}\nagentpid=4242`));
    assert.equal(f.nodePath, '/usr/bin/node');
    assert.equal(f.keepalivedPath, '/usr/sbin/keepalived');
    assert.equal(f.uid, 0);
    assert.equal(f.nodeVersion, 'v18.19.0');
    assert.deepEqual(f.interfaces, ['eth0', 'lo']);
    assert.equal(f.initSystem, 'none');
    assert.equal(f.agentPid, 4242);
    assert.deepEqual(f.files.get('/etc/haup/keepalived.conf'), { sha256: sha256(conf.content), mode: 0o600, uid: 0 });
    assert.equal(f.files.get('/opt/haup/haup-agent.cjs'), null);
    assert.equal(f.agentState, '{"agent":"haup-agent"}');
  });
  test('treats an empty node line as no Node.js', () => {
    assert.equal(parseFacts('node=\n').nodeVersion, null);
  });
  test('quotes paths in the facts script so they cannot run commands', () => {
    const s = factsScript(["/etc/x'$(reboot)", '/etc/b c'], { stateFile: '/run/s', pidFile: '/run/p' });
    assert.ok(s.includes(`for f in '/etc/x'\\''$(reboot)' '/etc/b c'; do`));
  });
  test('reads addresses and leaves them out when not asked for', () => {
    const f = parseFacts(`${recorded('agentpid=')}addr-begin\n[{"ifname":"eth0"}]\naddr-end\n`);
    assert.equal(f.addresses, '[{"ifname":"eth0"}]');
    assert.ok(!factsScript([], { stateFile: null, pidFile: '/run/p', addresses: false }).includes('ip -j addr'));
  });
  test('runs the facts script with a real sh and parses its output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'haup-facts-'));
    writeFileSync(join(dir, 'a.conf'), conf.content);
    chmodSync(join(dir, 'a.conf'), 0o600);
    writeFileSync(join(dir, 'pid'), `${process.pid}\n`);
    writeFileSync(join(dir, 'state.json'), '{"agent":"haup-agent","instances":[]}');
    writeFileSync(join(dir, 'rival.pid'), `${process.ppid}\n`);
    const script = factsScript([join(dir, 'a.conf'), join(dir, 'missing')], { stateFile: join(dir, 'state.json'), pidFile: join(dir, 'pid'), rivalPidFile: join(dir, 'rival.pid'), nodeCache: join(dir, 'node-version') });
    const f = parseFacts(execFileSync('sh', ['-c', script], { encoding: 'utf8' }));
    assert.equal(f.nodeVersion, process.version);
    assert.equal(f.nodePath, execFileSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).trim(), 'the node `command -v` finds');
    assert.equal(f.uid, process.getuid?.() ?? f.uid);
    assert.deepEqual(f.files.get(join(dir, 'a.conf')), { sha256: sha256(conf.content), mode: 0o600, uid: process.getuid?.() ?? 0 });
    assert.equal(f.files.get(join(dir, 'missing')), null);
    assert.equal(f.agentPid, process.pid);
    assert.equal(f.rivalPid, process.ppid, 'a live pid in the other engine\'s pidfile');
    assert.equal(f.agentState, '{"agent":"haup-agent","instances":[]}');
    assert.ok(f.interfaces.includes('lo'));
    rmSync(dir, { recursive: true, force: true });
  });
  test('takes node\'s version from PREFIX/include/node/node_version.h without starting node, else asks node', () => {
    const dir = mkdtempSync(join(tmpdir(), 'haup-facts-'));
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'include', 'node'), { recursive: true });
    // A stand-in node that says v1.2.3 and leaves a mark each time it is started.
    writeFileSync(join(dir, 'bin', 'node'), `#!/bin/sh\necho started >> '${join(dir, 'started')}'\necho v1.2.3\n`);
    chmodSync(join(dir, 'bin', 'node'), 0o755);
    writeFileSync(join(dir, 'include', 'node', 'node_version.h'), '#ifndef SRC_NODE_VERSION_H_\n#define SRC_NODE_VERSION_H_\n\n#define NODE_MAJOR_VERSION 18\n#define NODE_MINOR_VERSION 20\n#define NODE_PATCH_VERSION 8\n');
    const env = { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}` };
    const facts = () => parseFacts(execFileSync('sh', ['-c', factsScript([], { stateFile: null, pidFile: join(dir, 'pid'), nodeCache: join(dir, 'cache', 'node-version') })], { encoding: 'utf8', env }));
    const f = facts();
    assert.equal(f.nodeVersion, 'v18.20.8');
    assert.equal(f.nodePath, join(dir, 'bin', 'node'));
    assert.ok(!existsSync(join(dir, 'started')), 'node was not started');
    assert.ok(!existsSync(join(dir, 'cache')), 'nothing to cache when the header answers');
    writeFileSync(join(dir, 'include', 'node', 'node_version.h'), '#define NODE_MAJOR_VERSION 18\n#define NODE_MINOR_VERSION x\n#define NODE_PATCH_VERSION 8\n');
    assert.equal(facts().nodeVersion, 'v1.2.3', 'a header it cannot read makes it ask node');
    assert.equal(readFileSync(join(dir, 'started'), 'utf8'), 'started\n');
    // Without a usable header the answer is cached under the binary's size and mtime: node is not asked again.
    assert.equal(facts().nodeVersion, 'v1.2.3');
    assert.equal(readFileSync(join(dir, 'started'), 'utf8'), 'started\n', 'the second run read the cache');
    const [size, mtime] = readFileSync(join(dir, 'cache', 'node-version'), 'utf8').trim().split(' ');
    writeFileSync(join(dir, 'cache', 'node-version'), `${size} ${mtime} v99.0.0\n`);
    assert.equal(facts().nodeVersion, 'v99.0.0', 'the version comes from the cache');
    writeFileSync(join(dir, 'cache', 'node-version'), '1 2 v99.0.0\n');
    assert.equal(facts().nodeVersion, 'v1.2.3', 'a changed binary is asked again');
    assert.equal(readFileSync(join(dir, 'started'), 'utf8'), 'started\nstarted\n');
    rmSync(dir, { recursive: true, force: true });
  });
  test('finds node on $PATH like `command -v`: the first executable file, skipping directories and plain files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'haup-facts-'));
    for (const d of ['a', 'b', 'c', 'd']) mkdirSync(join(dir, d));
    mkdirSync(join(dir, 'a', 'node'));
    writeFileSync(join(dir, 'b', 'node'), 'not executable');
    writeFileSync(join(dir, 'c', 'node'), '#!/bin/sh\necho v20.0.1\n');
    chmodSync(join(dir, 'c', 'node'), 0o755);
    writeFileSync(join(dir, 'd', 'node'), '#!/bin/sh\necho v9.9.9\n');
    chmodSync(join(dir, 'd', 'node'), 0o755);
    const path = ['a', 'b', '', 'c', 'd'].map((d) => (d === '' ? '' : join(dir, d))).join(':');
    const f = parseFacts(execFileSync('/bin/sh', ['-c', factsScript([], { stateFile: null, pidFile: join(dir, 'pid'), nodeCache: join(dir, 'cache') })], { encoding: 'utf8', env: { ...process.env, PATH: path } }));
    assert.equal(f.nodePath, join(dir, 'c', 'node'));
    assert.equal(f.nodeVersion, 'v20.0.1');
    const none = parseFacts(execFileSync('/bin/sh', ['-c', factsScript([], { stateFile: null, pidFile: join(dir, 'pid'), nodeCache: join(dir, 'cache') })], { encoding: 'utf8', env: { ...process.env, PATH: join(dir, 'a') } }));
    assert.equal(none.nodePath, null);
    assert.equal(none.nodeVersion, null);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('factProblems', () => {
  const base = parseFacts(recorded('agentpid='));
  test('passes a host with root, iproute2, the interface and Node 18', () => {
    assert.deepEqual(factProblems(base, { engine: 'haup', interfaces: ['eth0'] }), []);
  });
  test('names a missing interface and Node.js with the fix', () => {
    const f = { ...base, nodeVersion: null };
    const p = factProblems(f, { engine: 'haup', interfaces: ['eth1'] });
    assert.deepEqual(p, [
      'interface eth1 does not exist (has: eth0, lo) — fix "interface" in the inventory',
      'Node.js is not installed — the haup agent needs Node >= 18: apt-get install -y nodejs',
    ]);
  });
  test('does not need Node.js for the keepalived engine', () => {
    assert.deepEqual(factProblems({ ...base, nodeVersion: null }, { engine: 'keepalived', interfaces: ['eth0'] }), []);
  });
  test('needs keepalived installed for the keepalived engine', () => {
    assert.deepEqual(factProblems({ ...base, keepalivedPath: null }, { engine: 'keepalived', interfaces: ['eth0'] }), [
      'keepalived is not installed (engine: keepalived) — install it: apt-get install -y keepalived',
    ]);
  });
  test('rejects Node 16 and a user without root or sudo', () => {
    const p = factProblems({ ...base, nodeVersion: 'v16.20.0', uid: 1000, sudoOk: false }, { engine: 'haup', interfaces: [] });
    assert.equal(p.length, 2);
  });
});

describe('planHost', () => {
  const facts = (files: [string, string | null, number?][], pid: number | null) => {
    const f = parseFacts(recorded(pid === null ? 'agentpid=' : `agentpid=${pid}`));
    for (const [p, content, mode] of files) f.files.set(p, content === null ? null : { sha256: sha256(content), mode: mode ?? 0o600, uid: 0 });
    return f;
  };
  test('starts the agent on a fresh host and writes every file', () => {
    const plan = planHost([conf, agent], facts([[conf.path, null], [agent.path, null]], null));
    assert.equal(plan.service, 'start');
    assert.equal(plan.writes.length, 2);
  });
  test('does nothing when files match and the agent runs', () => {
    const plan = planHost([conf, agent], facts([[conf.path, 'vrrp_instance VI_1 {}\n'], [agent.path, 'agent v1', 0o755]], 7));
    assert.deepEqual(plan, { writes: [], unchanged: [conf.path, agent.path], service: 'none', reason: 'nothing changed and the service is running', stopRival: null });
  });
  test('stops the other engine\'s daemon first: start when ours is not running, restart when both run', () => {
    const same: [string, string | null, number?][] = [[conf.path, 'vrrp_instance VI_1 {}\n'], [agent.path, 'agent v1', 0o755]];
    const switching = { ...facts([[conf.path, null], [agent.path, null]], null), rivalPid: 42 };
    const first = planHost([conf, agent], switching);
    assert.deepEqual([first.service, first.stopRival], ['start', 42]);
    assert.match(first.reason, /the other engine's daemon still runs \(pid 42\): it is stopped first/);
    const both = planHost([conf, agent], { ...facts(same, 7), rivalPid: 42 });
    assert.deepEqual([both.service, both.writes.length, both.stopRival], ['restart', 0, 42]);
  });
  test('reads the other engine\'s live pid from the facts, not our own', () => {
    assert.equal(parseFacts(recorded('agentpid=7\nrivalpid=42')).rivalPid, 42);
    assert.equal(parseFacts(recorded('agentpid=7')).rivalPid, null);
  });
  test('reloads on a config change only', () => {
    const plan = planHost([conf, agent], facts([[conf.path, 'old'], [agent.path, 'agent v1', 0o755]], 7));
    assert.equal(plan.service, 'reload');
    assert.deepEqual(plan.writes.map((w) => w.path), [conf.path]);
  });
  test('restarts when the agent itself changed, even if the config changed too', () => {
    const plan = planHost([conf, agent], facts([[conf.path, 'old'], [agent.path, 'agent v0', 0o755]], 7));
    assert.equal(plan.service, 'restart');
  });
  test('reloads an agent that runs another config than the one on disk', () => {
    const f = facts([[conf.path, 'vrrp_instance VI_1 {}\n'], [agent.path, 'agent v1', 0o755]], 7);
    const plan = planHost([conf, agent], f, { path: conf.path, sha256: sha256('old') });
    assert.equal(plan.service, 'reload');
    assert.deepEqual(plan.writes, []);
    assert.equal(planHost([conf, agent], f, { path: conf.path, sha256: sha256(conf.content) }).service, 'none');
  });
  test('rewrites a file whose mode drifted', () => {
    const plan = planHost([conf], facts([[conf.path, 'vrrp_instance VI_1 {}\n', 0o644]], 7));
    assert.deepEqual(plan.writes.map((w) => w.path), [conf.path]);
  });
});
