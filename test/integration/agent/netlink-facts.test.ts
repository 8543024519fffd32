// Integration: the addon's rtnetlink interface reading and link monitor (used instead of `ip -j addr` and
// `ip -o monitor link` processes) in a namespace of our own: the facts equal what `ip -j addr show` says for a
// veth with IPv4 (primary, secondary with label) and IPv6 (no-DAD, tentative) addresses, and link events
// arrive on `ip link set down/up`, on deletion and on re-creation, without any child process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { parseIpJson, type InterfaceInfo } from '../../../agent/net/vips.js';
import type { LinkState } from '../../../agent/net/link-watch.js';
import { REPO_ROOT, run, skipReason, waitPidGone, waitUntil } from '../../support/netns.js';

const skip = skipReason(['ip']);
const PROBE = join(REPO_ROOT, 'test/integration/agent/netlink-facts-probe.ts');
const NS = `tsnf${process.pid % 100000}`;
const A = 'tsnfa';
const B = 'tsnfb';

interface ProbeLine {
  event: string;
  info?: InterfaceInfo | null;
  state?: LinkState;
  children?: number;
  message?: string;
}

function startProbe(mode: string, ifname: string): { child: ChildProcess; lines: ProbeLine[]; exited: Promise<number | null> } {
  const child = spawn('ip', ['netns', 'exec', NS, process.execPath, '--import', 'tsx', PROBE, mode, ifname], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: ProbeLine[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as ProbeLine);
    } catch {
      // not a probe line
    }
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, lines, exited };
}

async function ipFacts(ifname: string): Promise<InterfaceInfo | undefined> {
  const { stdout } = await run('ip', ['-n', NS, '-j', 'addr', 'show', 'dev', ifname]);
  return parseIpJson(stdout).find((i) => i.ifname === ifname);
}

const ip = (...args: string[]) => run('ip', ['-n', NS, ...args]);

describe('rtnetlink interface facts and link events from the addon', { skip }, () => {
  const probes: ChildProcess[] = [];

  before(async () => {
    await run('ip', ['netns', 'del', NS]).catch(() => undefined);
    await run('ip', ['netns', 'add', NS]);
    await ip('link', 'add', A, 'type', 'veth', 'peer', 'name', B);
    // DAD of 60 probes (a minute): an address added with DAD stays tentative for the whole test.
    await run('ip', ['netns', 'exec', NS, 'sysctl', '-qw', `net.ipv6.conf.${A}.dad_transmits=60`, `net.ipv6.conf.${A}.accept_dad=1`]);
    await ip('link', 'set', A, 'address', '02:00:00:0f:00:0a', 'mtu', '1400');
    await ip('addr', 'add', '10.213.0.1/24', 'dev', A);
    await ip('addr', 'add', '10.213.0.7/24', 'dev', A, 'label', `${A}:7`);
    await ip('-6', 'addr', 'add', 'fd0f::1/64', 'dev', A, 'nodad');
    await ip('link', 'set', A, 'up');
    await ip('link', 'set', B, 'up');
    await ip('-6', 'addr', 'add', 'fd0f::2/64', 'dev', A);
    await waitUntil(`carrier on ${A}`, async () => (await ipFacts(A))?.carrier);
  });

  after(async () => {
    for (const p of probes) {
      if (p.pid !== undefined && p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL');
        await waitPidGone(p.pid);
      }
    }
    await run('ip', ['netns', 'del', NS]).catch(() => undefined);
  });

  async function probeFacts(ifname: string): Promise<InterfaceInfo | null> {
    const p = startProbe('facts', ifname);
    probes.push(p.child);
    assert.equal(await p.exited, 0);
    const line = p.lines.find((l) => l.event === 'facts');
    assert.ok(line, 'the probe printed its facts');
    return line.info ?? null;
  }

  test('read the same ifindex, MAC, MTU, flags, operstate and addresses as ip -j addr show, tentative IPv6 included', async () => {
    const mine = await probeFacts(A);
    const theirs = await ipFacts(A);
    assert.deepEqual(mine, theirs);
    assert.equal(mine?.mac, '02:00:00:0f:00:0a');
    assert.equal(mine?.mtu, 1400);
    const byAddr = new Map(mine?.addresses.map((a) => [a.address, a]));
    assert.deepEqual([byAddr.get('10.213.0.7')?.secondary, byAddr.get('10.213.0.7')?.label], [true, `${A}:7`]);
    assert.equal(byAddr.get('fd0f::1')?.tentative, false);
    assert.equal(byAddr.get('fd0f::2')?.tentative, true);
    assert.ok(mine?.addresses.some((a) => a.scope === 'link' && a.family === 6), 'has its IPv6 link-local address');
  });

  test('a missing interface reads as absent, not as an error', async () => {
    assert.equal(await probeFacts('tsnfnone'), null);
  });

  test('link events arrive on set down / up, deletion and re-creation, with no child process', async () => {
    const p = startProbe('watch', A);
    probes.push(p.child);
    const states = () => p.lines.filter((l) => l.event === 'link').map((l) => l.state as LinkState);
    const waitState = (what: string, ok: (s: LinkState) => boolean) => waitUntil(what, () => states().some(ok) && states().at(-1));

    const first = await waitState('first state', (s) => s.usable);
    assert.equal(first?.ifname, A);
    await ip('link', 'set', A, 'down');
    const down = await waitState('down', (s) => s.exists && !s.up);
    assert.deepEqual([down?.up, down?.usable, down?.operstate], [false, false, 'DOWN']);
    const n = states().length;
    await ip('link', 'set', A, 'up');
    await waitUntil('up again', () => states().slice(n).some((s) => s.usable));
    await ip('link', 'set', B, 'down'); // the peer going down takes the carrier away
    await waitState('no carrier', (s) => s.up && !s.carrier);
    await ip('link', 'del', A);
    await waitState('deleted', (s) => !s.exists);
    const m = states().length;
    await ip('link', 'add', A, 'type', 'veth', 'peer', 'name', B);
    await waitUntil('exists again', () => states().slice(m).some((s) => s.exists));
    const errors = p.lines.filter((l) => l.event === 'error');
    assert.deepEqual(errors, []);
    assert.deepEqual([...new Set(p.lines.filter((l) => l.event === 'link').map((l) => l.children))], [0]);
    p.child.stdin?.write('stop\n');
    p.child.stdin?.end();
    assert.equal(await p.exited, 0, 'the process exits once the watcher is stopped');
  });

  test('the link monitor alone does not keep the process alive', async () => {
    await ip('link', 'set', A, 'up');
    const p = startProbe('idle', A);
    probes.push(p.child);
    p.child.stdin?.end();
    const code = await Promise.race([p.exited, new Promise<string>((r) => setTimeout(() => r('still running after 10 s'), 10_000).unref())]);
    assert.equal(code, 0);
    assert.equal(p.lines.filter((l) => l.event === 'link').length, 1);
  });
});
