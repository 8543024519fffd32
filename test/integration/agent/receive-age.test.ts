// Integration: the addon reports how long each VRRP packet waited between the kernel receiving it and the
// agent reading it (SO_TIMESTAMPNS), for IPv4 and IPv6, between two real network namespaces.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createLab, NsWorker, REPO_ROOT, skipReason, waitPidGone, waitUntil, type Lab } from '../../support/netns.js';

const skip = skipReason(['ip']);
const PROBE = join(REPO_ROOT, 'test/integration/agent/receive-age-probe.ts');

interface ProbeEvent {
  event: string;
  family?: 4 | 6;
  ageMs?: number;
  at?: number;
  flagAt?: number;
}

describe('kernel receive timestamps on VRRP sockets', { skip }, () => {
  let lab: Lab;
  let a: NsWorker;
  let probe: ChildProcess;
  let dir: string;
  const events: ProbeEvent[] = [];
  const tx: Record<4 | 6, number> = { 4: 0, 6: 0 };

  before(async () => {
    lab = await createLab('ttage');
    dir = mkdtempSync(join(tmpdir(), 'haup-receive-age-'));
    probe = spawn('ip', ['netns', 'exec', lab.b.ns, process.execPath, '--import', 'tsx', PROBE, lab.b.ifname], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: probe.stdout! }).on('line', (line) => {
      try {
        events.push(JSON.parse(line) as ProbeEvent);
      } catch {
        // not a probe line
      }
    });
    a = await NsWorker.start(lab.a.ns);
    for (const family of [4, 6] as const) {
      const opts = { family, ifname: lab.a.ifname, srcAddr: family === 4 ? lab.a.ipv4 : lab.a.ipv6ll, multicast: true };
      tx[family] = (await a.request<{ handle: number }>('open', { opts })).handle;
    }
    await waitUntil('the probe in B is ready', () => events.some((e) => e.event === 'ready'), 30_000);
  });

  after(async () => {
    await a?.stop();
    if (probe?.pid !== undefined && probe.exitCode === null) {
      probe.stdin?.end(); // the probe exits when its stdin closes
      await waitPidGone(probe.pid, 5000).catch(() => {
        probe.kill('SIGKILL');
      });
    }
    await lab?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const send = (family: 4 | 6) => a.request('send', { handle: tx[family], hex: '21fe64020101ff0a', dst: family === 4 ? '224.0.0.18' : 'ff02::12' });
  const packets = (family: 4 | 6, from: number) => events.slice(from).filter((e) => e.event === 'packet' && e.family === family);

  test('a packet read at once has a small positive age (the kernel stamped it)', async () => {
    for (const family of [4, 6] as const) {
      const from = events.length;
      await send(family);
      const [p] = await waitUntil(`the IPv${family} packet in B`, () => (packets(family, from).length > 0 ? packets(family, from) : undefined));
      assert.equal(typeof p?.ageMs, 'number');
      assert.ok((p?.ageMs ?? 0) > 0, `IPv${family} age ${p?.ageMs} ms: 0 means no kernel timestamp`);
      assert.ok((p?.ageMs ?? Infinity) < 1000, `IPv${family} age ${p?.ageMs} ms`);
    }
  });

  test('a packet that waits while the event loop is blocked reports the time it waited', async () => {
    const from = events.length;
    const flag = join(dir, 'unblock');
    probe.stdin!.write(`block ${flag}\n`);
    const blocking = await waitUntil('the probe blocking its loop', () => events.slice(from).find((e) => e.event === 'blocking'));
    await send(4);
    await send(6); // both are in B's socket queues once sendmsg has returned (veth delivers synchronously)
    writeFileSync(flag, '');
    const unblocked = await waitUntil('the probe unblocked', () => events.slice(from).find((e) => e.event === 'unblocked'));
    for (const family of [4, 6] as const) {
      const [p] = await waitUntil(`the IPv${family} packet in B`, () => (packets(family, from).length > 0 ? packets(family, from) : undefined));
      const age = p?.ageMs ?? 0;
      // Sent before the flag existed, read after the 100 ms that followed it; and it cannot have waited longer
      // than the loop was blocked plus the read (1 ms slack for the realtime clock against the monotonic one).
      assert.ok(age >= 100, `IPv${family} age ${age} ms, expected at least 100`);
      assert.ok(age <= (p?.at ?? 0) - (blocking.at ?? 0) + 1, `IPv${family} age ${age} ms is longer than the loop was blocked`);
      assert.ok((p?.at ?? 0) >= (unblocked.at ?? Infinity));
    }
  });
});
