// Input: an inventory of two pairs (p1: h1 master / h2 backup, p2: h3 / h4), deployed through runDeploy to a fake
// cluster of memory transports. Output: the order in which nodes were started, reloaded, restarted and rolled back,
// the files left on each node, and the report.
import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaupError } from '../../../cli/errors.js';
import { runDeploy, type DeployArgs } from '../../../cli/deploy/run.js';
import type { DeployReport } from '../../../cli/deploy/report.js';
import { FakeCluster, type NodeBehaviour } from './fake-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'haup-deploy-unit-'));

function inventory(opts: { p1Master?: number; preempt?: boolean; eth?: string } = {}): string {
  const file = join(dir, `inv-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(
    file,
    `defaults:
  engine: haup
  interface: ${opts.eth ?? 'eth0'}
  advert_int: 1
  vrrp_version: 2
  preempt: ${opts.preempt ?? true}
  auth: { type: PASS, pass: "\${HAUP_UNIT_PASS:-s3cret}" }
  ssh: { user: root, key: /nonexistent/key, known_hosts: /nonexistent/known_hosts }
pairs:
  - name: p1
    vrid: 51
    vips: ["10.9.0.100/24"]
    master: { name: h1, host: 10.9.0.11, priority: ${opts.p1Master ?? 100} }
    backup: { name: h2, host: 10.9.0.12, priority: 99 }
  - name: p2
    vrid: 52
    vips: ["10.9.0.101/24"]
    master: { name: h3, host: 10.9.0.13, priority: 100 }
    backup: { name: h4, host: 10.9.0.14, priority: 99 }
`,
  );
  return file;
}

function agentDir(version: string): string {
  const d = join(dir, `agent-${version}`);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'haup-agent.cjs'), `// fake agent ${version}\n`);
  writeFileSync(join(d, 'haup_raw.node'), 'fake addon');
  return d;
}

class Sink {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

let cluster: FakeCluster;

function setup(behaviours: Record<string, NodeBehaviour> = {}): void {
  cluster = new FakeCluster();
  for (const h of ['h1', 'h2', 'h3', 'h4']) cluster.add(h, behaviours[h] ?? {});
}

async function deploy(
  args: Partial<DeployArgs> & { inventory: string },
  opts: { unreachable?: string[]; slow?: Record<string, () => Promise<void>> } = {},
): Promise<{ report: DeployReport | null; error: HaupError | null; out: string }> {
  const out = new Sink();
  const err = new Sink();
  try {
    const report = await runDeploy(
      { agent: agentDir('v1'), ...args },
      {
        out: out as unknown as NodeJS.WritableStream,
        err: err as unknown as NodeJS.WritableStream,
        progress: 'silent',
        clock: cluster.clock,
        connect: async (h) => {
          await opts.slow?.[h.id]?.();
          if (opts.unreachable?.includes(h.id)) throw new HaupError('HAUP_SSH_REFUSED', `${h.id}: connection refused`);
          return cluster.nodes.get(h.id)?.transport ?? assert.fail(`no fake node ${h.id}`);
        },
      },
    );
    return { report, error: null, out: out.text };
  } catch (e) {
    if (!(e instanceof HaupError)) throw e;
    const json = args.json ? (JSON.parse(out.text) as DeployReport) : null;
    return { report: json, error: e, out: out.text };
  }
}

const pid = (h: string) => cluster.nodes.get(h)?.agent?.pid ?? null;
const conf = (h: string) => cluster.nodes.get(h)?.config() ?? '';
const state = (h: string, vrid: number) => cluster.stateOf(cluster.nodes.get(h) as never, vrid);

describe('deploy orchestration', () => {
  beforeEach(() => setup());

  test('starts the master before the backup on a cold pair, and waits until the master holds the VIP', async () => {
    const { report } = await deploy({ inventory: inventory(), limit: ['p1'] });
    assert.deepEqual(cluster.events, ['h1 start', 'h2 start']);
    assert.equal(state('h1', 51), 'MASTER');
    assert.equal(state('h2', 51), 'BACKUP');
    assert.equal(report?.pairs[0]?.converged, true);
    assert.ok(cluster.now >= 3000, 'it waited for the Master_Down_Interval');
  });

  test('takes few round trips per host: facts, one push, one service command that also waits, and a converge poll', async () => {
    const inv = inventory();
    const cold = await deploy({ inventory: inv, limit: ['p1'], json: true });
    // master: facts, push, start (+ ready), converge poll; backup: facts, push, start (+ ready)
    assert.deepEqual(cold.report?.hosts.map((h) => [h.host, h.roundTrips]), [['h1', 4], ['h2', 3]]);
    for (const n of cluster.nodes.values()) n.transport.roundTrips = 0;
    const noop = await deploy({ inventory: inv, limit: ['p1'], json: true });
    assert.deepEqual(noop.report?.hosts.map((h) => h.roundTrips), [1, 1]);
  });

  test('does nothing on a second deploy with nothing changed, and reports 0 changed', async () => {
    const inv = inventory();
    await deploy({ inventory: inv });
    const pids = ['h1', 'h2', 'h3', 'h4'].map(pid);
    cluster.events.length = 0;
    const { report } = await deploy({ inventory: inv, json: true });
    assert.deepEqual(cluster.events, []);
    assert.deepEqual(['h1', 'h2', 'h3', 'h4'].map(pid), pids);
    assert.equal(report?.changedHosts, 0);
    assert.equal(report?.changedFiles, 0);
    assert.ok(report?.pairs.every((p) => p.converged === true));
  });

  test('reloads the backup before the master when the config changes', async () => {
    await deploy({ inventory: inventory() });
    cluster.events.length = 0;
    const pids = ['h1', 'h2'].map(pid);
    await deploy({ inventory: inventory({ p1Master: 150 }) });
    assert.deepEqual(cluster.events, ['h2 reload', 'h1 reload']);
    assert.deepEqual(['h1', 'h2'].map(pid), pids);
    assert.match(conf('h1'), /priority 150/);
  });

  test('restarts backup then master when the agent bundle changes', async () => {
    const inv = inventory();
    await deploy({ inventory: inv, limit: ['p1'] });
    cluster.events.length = 0;
    await deploy({ inventory: inv, limit: ['p1'], agent: agentDir('v2') });
    assert.deepEqual(cluster.events, ['h2 restart', 'h1 restart']);
    assert.equal(cluster.nodes.get('h1')?.transport.files.get('/opt/haup/haup-agent.cjs')?.content.toString(), '// fake agent v2\n');
    assert.equal(state('h1', 51), 'MASTER');
  });

  test('rolls the backup back when its new agent will not run, leaves the master alone and finishes the other pair', async () => {
    const inv = inventory();
    await deploy({ inventory: inv });
    cluster.events.length = 0;
    const before = cluster.nodes.get('h2')?.transport.files.get('/opt/haup/haup-agent.cjs')?.content.toString();
    (cluster.nodes.get('h2') as { behaviour: NodeBehaviour }).behaviour.runFails = true;
    const { report, error } = await deploy({ inventory: inv, agent: agentDir('v3'), json: true });
    assert.equal(error?.code, 'HAUP_DEPLOY_FAILED');
    assert.deepEqual(cluster.events.filter((e) => /^h[12]/.test(e)), ['h2 restart', 'h2 rollback']);
    assert.deepEqual(cluster.events.filter((e) => /^h[34]/.test(e)), ['h4 restart', 'h3 restart']);
    assert.equal(cluster.nodes.get('h2')?.transport.files.get('/opt/haup/haup-agent.cjs')?.content.toString(), before);
    assert.ok(cluster.nodes.get('h2')?.running, 'the previous agent runs again');
    const h2 = report?.hosts.find((h) => h.host === 'h2');
    assert.equal(h2?.result, 'rolled-back');
    assert.equal(report?.hosts.find((h) => h.host === 'h1')?.result, 'untouched');
    assert.deepEqual(report?.pairs.map((p) => p.result), ['failed', 'ok']);
  });

  test('rolls the config back when the agent rejects it, without signalling the agent', async () => {
    const inv = inventory();
    await deploy({ inventory: inv, limit: ['p1'] });
    const old = conf('h2');
    const oldPid = pid('h2');
    cluster.events.length = 0;
    (cluster.nodes.get('h2') as { behaviour: NodeBehaviour }).behaviour.checkFails = true;
    const { error } = await deploy({ inventory: inventory({ p1Master: 150 }), limit: ['p1'] });
    assert.equal(error?.code, 'HAUP_DEPLOY_FAILED');
    assert.match(error?.details.join('\n') ?? '', /unknown keyword bogus/);
    assert.deepEqual(cluster.events, ['h2 reload', 'h2 rollback']);
    assert.equal(conf('h2'), old);
    assert.equal(pid('h2'), oldPid);
    assert.doesNotMatch(conf('h1'), /priority 150/);
  });

  test('touches neither node of a pair when one fails its facts, and still deploys the other pair', async () => {
    setup({ h2: { interfaces: ['eth1', 'lo'] } });
    const { report, error } = await deploy({ inventory: inventory(), json: true });
    assert.equal(error?.code, 'HAUP_DEPLOY_FAILED');
    assert.deepEqual(cluster.events, ['h3 start', 'h4 start']);
    assert.equal(cluster.nodes.get('h1')?.transport.files.size, 0);
    const h2 = report?.hosts.find((h) => h.host === 'h2');
    assert.equal(h2?.error?.code, 'HAUP_FACTS');
    assert.match(h2?.error?.message ?? '', /interface eth0 does not exist/);
    assert.equal(report?.hosts.find((h) => h.host === 'h1')?.result, 'untouched');
  });

  test('touches neither node of a pair when one cannot be reached', async () => {
    const { report, error } = await deploy({ inventory: inventory(), json: true }, { unreachable: ['h1'] });
    assert.equal(error?.code, 'HAUP_DEPLOY_FAILED');
    assert.deepEqual(cluster.events, ['h3 start', 'h4 start']);
    assert.equal(report?.hosts.find((h) => h.host === 'h1')?.error?.code, 'HAUP_SSH_REFUSED');
    assert.equal(report?.hosts.find((h) => h.host === 'h2')?.result, 'untouched');
  });

  test('deploys a pair whose hosts are ready without waiting for a slow host of another pair', async () => {
    let seen = 'p2 was not deployed while h1 was still connecting';
    // h1 connects only once p2 is done (or after 2 s): with one barrier for every host's facts, p2 would wait for h1.
    const slowH1 = async () => {
      for (let i = 0; i < 400 && !cluster.events.includes('h4 start'); i++) await new Promise((r) => setTimeout(r, 5));
      if (cluster.events.includes('h4 start')) seen = 'ok';
    };
    const { error } = await deploy({ inventory: inventory() }, { slow: { h1: slowH1 } });
    assert.equal(error, null);
    assert.equal(seen, 'ok');
    assert.deepEqual(cluster.events, ['h3 start', 'h4 start', 'h1 start', 'h2 start']);
  });

  test('changes nothing with --check and says what it would do', async () => {
    const { report } = await deploy({ inventory: inventory(), check: true, json: true });
    assert.deepEqual(cluster.events, []);
    assert.equal(cluster.nodes.get('h1')?.transport.files.size, 0);
    assert.equal(report?.mode, 'check');
    assert.equal(report?.changedHosts, 4);
    assert.deepEqual(report?.hosts.map((h) => [h.host, h.result, h.action]), [
      ['h1', 'planned', 'start'],
      ['h2', 'planned', 'start'],
      ['h3', 'planned', 'start'],
      ['h4', 'planned', 'start'],
    ]);
  });

  test('deploys only the named pair or host with --limit', async () => {
    await deploy({ inventory: inventory(), limit: ['p2'] });
    assert.deepEqual(cluster.events, ['h3 start', 'h4 start']);
    cluster.events.length = 0;
    await deploy({ inventory: inventory({ p1Master: 120 }), limit: ['h2,h4'] });
    assert.deepEqual(cluster.events, ['h2 start']);
  });

  test('changes at most --concurrency pair groups at once', async () => {
    await deploy({ inventory: inventory(), concurrency: 1 });
    const t = cluster.trace.filter((e) => !e.endsWith('facts'));
    const p1Ready = Math.max(t.indexOf('h1 ready'), t.indexOf('h2 ready'));
    assert.ok(t.indexOf('h1 ready') >= 0 && t.indexOf('h2 ready') >= 0 && t.indexOf('h3 start') > p1Ready, t.join(', '));
    cluster.trace.length = 0;
    setup();
    await deploy({ inventory: inventory() });
    const u = cluster.trace.filter((e) => !e.endsWith('facts'));
    assert.ok(u.indexOf('h3 start') < u.indexOf('h1 wait'), `both pairs start together by default: ${u.join(', ')}`);
  });

  test('refuses an unknown --limit name as a usage error', async () => {
    const { error } = await deploy({ inventory: inventory(), limit: ['nope'] });
    assert.equal(error?.code, 'HAUP_USAGE');
    assert.equal(error?.exitCode, 2);
    assert.match(error?.message ?? '', /"nope"/);
  });

  test('gives a cold nopreempt pair to its master by starting the backup only once the master runs', async () => {
    await deploy({ inventory: inventory({ preempt: false }), limit: ['p1'] });
    assert.deepEqual(cluster.events, ['h1 start', 'h2 start']);
    assert.ok(cluster.trace.indexOf('h1 ready') >= 0 && cluster.trace.indexOf('h1 ready') < cluster.trace.indexOf('h2 start'), cluster.trace.join(', '));
    assert.equal(state('h1', 51), 'MASTER');
  });

  test('starts the master of a cold preempt pair first too, and the backup once the master is ready', async () => {
    await deploy({ inventory: inventory(), limit: ['p1'] });
    assert.deepEqual(cluster.events, ['h1 start', 'h2 start']);
    assert.ok(cluster.trace.indexOf('h1 ready') >= 0 && cluster.trace.indexOf('h1 ready') < cluster.trace.indexOf('h2 start'), cluster.trace.join(', '));
    assert.equal(state('h1', 51), 'MASTER');
  });

  test('keeps backup-before-master, one at a time, on a running pair', async () => {
    const inv = inventory();
    await deploy({ inventory: inv, limit: ['p1'] });
    cluster.trace.length = 0;
    await deploy({ inventory: inventory({ p1Master: 150 }), limit: ['p1'] });
    const t = cluster.trace.filter((e) => !e.endsWith('facts'));
    assert.deepEqual(t.slice(0, 3), ['h2 reload', 'h2 ready', 'h1 reload'], t.join(', '));
  });

  test('shows a diff of changed files with the password redacted', async () => {
    const inv = inventory();
    await deploy({ inventory: inv, limit: ['p1'] });
    process.env.HAUP_UNIT_PASS = 'n3wpass';
    let out: string;
    try {
      ({ out } = await deploy({ inventory: inventory({ p1Master: 150 }), limit: ['p1'], diff: true, check: true }));
    } finally {
      delete process.env.HAUP_UNIT_PASS;
    }
    assert.match(out, /^- {2}priority 100$/m);
    assert.match(out, /^\+ {2}priority 150$/m);
    assert.match(out, /^- {4}auth_pass <redacted>$/m);
    assert.match(out, /^\+ {4}auth_pass <redacted>$/m);
    assert.doesNotMatch(out, /s3cret|n3wpass/);
    assert.deepEqual(cluster.events, ['h1 start', 'h2 start'], '--check --diff changed nothing');
  });

  test('reports per pair and host with stable field names', async () => {
    const { report } = await deploy({ inventory: inventory(), limit: ['p1'], json: true });
    assert.deepEqual(Object.keys(report ?? {}), ['version', 'inventory', 'mode', 'durationMs', 'pairs', 'hosts', 'ok', 'changedHosts', 'changedFiles']);
    assert.deepEqual(Object.keys(report?.pairs[0] ?? {}), ['pair', 'master', 'backup', 'result', 'converged', 'error', 'timings']);
    assert.deepEqual(Object.keys(report?.hosts[0] ?? {}), [
      'host', 'address', 'engine', 'roles', 'changed', 'unchanged', 'action', 'reason', 'result', 'pidBefore', 'pidAfter', 'states', 'timings', 'roundTrips', 'error', 'diff',
    ]);
    assert.deepEqual(report?.hosts.map((h) => [h.host, h.roles, h.action, h.result, h.states]), [
      ['h1', { p1: 'master' }, 'start', 'changed', { VI_p1: 'MASTER' }],
      ['h2', { p1: 'backup' }, 'start', 'changed', { VI_p1: 'BACKUP' }],
    ]);
  });
});
