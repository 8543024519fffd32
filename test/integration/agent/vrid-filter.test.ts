// Integration: an agent serving VRID 51 (VRRPv2, IPv4) and 52 (VRRPv3, IPv6) in one namespace hears adverts of other
// VRIDs and malformed packets sent from a raw socket in a second namespace. Its VRID filters keep the other VRIDs
// off the event loop (the status file's per-socket `read` counts only own-VRID and too-short packets), while the
// drained queue still counts every one of them exactly as "vrid", and malformed ones per reason, as before.
// A reload that adds VRID 77 re-attaches the filter, and 77's adverts then reach its new instance.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentStatusWithSockets } from '../../../agent/runtime/status-view.js';
import { encodeAdvert } from '../../../agent/vrrp/packet.js';
import { AGENT_NODE, agentBundle } from '../../support/agent.js';
import { createLab, NsWorker, skipReason, spawnInNs, waitUntil, type Lab, type NsProcess } from '../../support/netns.js';

const skip = skipReason(['ip']);
const N4 = 300;
const N6 = 200;

function conf(ifname: string, with77: boolean): string {
  const inst = (name: string, vrid: number, priority: number, version: 2 | 3, vip: string) =>
    `vrrp_instance ${name} {\n  state BACKUP\n  interface ${ifname}\n  virtual_router_id ${vrid}\n  version ${version}\n  priority ${priority}\n  advert_int 1\n  virtual_ipaddress {\n    ${vip}\n  }\n}\n`;
  return [
    'global_defs {\n  router_id hbvrid\n}\n',
    inst('VI_4', 51, 100, 2, '10.203.0.151/24'),
    inst('VI_6', 52, 100, 3, 'fd03::152/64'),
    with77 ? inst('VI_77', 77, 50, 2, '10.203.0.177/24') : '',
  ].join('');
}

describe('VRID filters on a segment with other routers', { skip }, () => {
  let lab: Lab;
  let dir: string;
  let agent: NsProcess;
  let sender: NsWorker;
  const tx = { 4: 0, 6: 0 };
  let stateFile: string;
  let confFile: string;

  const status = async (): Promise<AgentStatusWithSockets | undefined> => {
    try {
      return JSON.parse(await readFile(stateFile, 'utf8')) as AgentStatusWithSockets;
    } catch {
      return undefined;
    }
  };
  const inst = (s: AgentStatusWithSockets | undefined, name: string) => s?.instances.find((i) => i.name === name);
  /** The drop counters (every counter but what was sent and received). */
  const drops = (s: AgentStatusWithSockets | undefined, name: string) =>
    Object.fromEntries(Object.entries(inst(s, name)?.counters ?? {}).filter(([k]) => !/sent|received/.test(k)));
  const sock = (s: AgentStatusWithSockets | undefined, family: 4 | 6) => s?.sockets.find((x) => x.socket.startsWith(`IPv${family} `));
  const send = (family: 4 | 6, bytes: Uint8Array, count = 1) =>
    Promise.all(Array.from({ length: count }, () => sender.request('send', { handle: tx[family], hex: Buffer.from(bytes).toString('hex'), dst: family === 4 ? '224.0.0.18' : 'ff02::12' })));
  const v2 = (vrid: number) => encodeAdvert({ version: 2, vrid, priority: 100, intervalCs: 100, addresses: ['10.203.0.177'], authType: 0, authData: new Uint8Array(8) }, { family: 4, src: lab.b.ipv4, dst: '224.0.0.18' });
  const v3 = (vrid: number) => encodeAdvert({ version: 3, vrid, priority: 100, intervalCs: 100, addresses: ['fd03::178'], authType: 0, authData: new Uint8Array(0) }, { family: 6, src: lab.b.ipv6ll, dst: 'ff02::12' });

  before(async () => {
    lab = await createLab('hbvrid');
    dir = mkdtempSync(join(tmpdir(), 'haup-vrid-filter-'));
    stateFile = join(dir, 'agent-state.json');
    confFile = join(dir, 'keepalived.conf');
    writeFileSync(confFile, conf(lab.a.ifname, false), { mode: 0o600 });
    const { js } = await agentBundle();
    agent = spawnInNs(lab.a.ns, AGENT_NODE, [js, 'run', '-f', confFile, '--state-file', stateFile, '--pid-file', join(dir, 'agent.pid')]);
    sender = await NsWorker.start(lab.b.ns);
    for (const family of [4, 6] as const) {
      const opts = { family, ifname: lab.b.ifname, srcAddr: family === 4 ? lab.b.ipv4 : lab.b.ipv6ll, multicast: true };
      tx[family] = (await sender.request<{ handle: number }>('open', { opts })).handle;
    }
    await waitUntil('both sockets filtered in the status file', async () => {
      const s = await status();
      return sock(s, 4)?.wakeVrids?.join() === '51' && sock(s, 6)?.wakeVrids?.join() === '52';
    }, 20_000);
  });

  after(async () => {
    await sender?.stop();
    await agent?.stop();
    await lab?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('counts every other-VRID advert exactly, without waking the agent for each one', async () => {
    const before = await status();
    const read4 = sock(before, 4)?.read ?? 0;
    const read6 = sock(before, 6)?.read ?? 0;
    const bad = Uint8Array.from(v2(77));
    bad[6] = (bad[6] ?? 0) ^ 0xff; // checksum
    const wrongType = Uint8Array.from(v2(51));
    wrongType[0] = 0x22; // version 2, type 2 (RFC 3768 §5.3.2: only 1 is defined); our own VRID
    await send(4, v2(77), N4);
    await send(4, bad, 2);
    await send(4, Uint8Array.from([0x21]), 3);
    await send(4, wrongType, 2);
    await send(6, v3(78), N6);
    await send(6, Uint8Array.from([0x31]), 1);
    const s = await waitUntil(`${N4} and ${N6} vrid drops in the status file`, async () => {
      const x = await status();
      return (inst(x, 'VI_4')?.counters.vrid ?? 0) >= N4 && (inst(x, 'VI_6')?.counters.vrid ?? 0) >= N6 && x;
    }, 20_000);
    assert.deepEqual([drops(before, 'VI_4'), drops(before, 'VI_6')], [{}, {}]);
    assert.deepEqual(drops(s, 'VI_4'), { vrid: N4, checksum: 2, length: 3, type: 2 });
    assert.deepEqual(drops(s, 'VI_6'), { vrid: N6, length: 1 });
    // Woken only for the too-short packets and the one with our VRID; the other VRID's came in batches.
    assert.equal((sock(s, 4)?.read ?? 0) - read4, 3 + 2);
    assert.equal((sock(s, 6)?.read ?? 0) - read6, 1);
    assert.equal(sock(s, 4)?.drained, N4 + 2);
    assert.equal(sock(s, 6)?.drained, N6);
    assert.equal(sock(s, 4)?.overflow, 0);
    // Nothing is counted twice: after the next status write the counts are the same.
    const later = await waitUntil('the next status write', async () => {
      const x = await status();
      return x && x.updatedAt !== s.updatedAt && x;
    }, 20_000);
    assert.equal(inst(later, 'VI_4')?.counters.vrid, N4);
    assert.equal(inst(later, 'VI_6')?.counters.vrid, N6);
  });

  test('a reload that adds VRID 77 lets its adverts wake the agent for the new instance', async () => {
    writeFileSync(confFile, conf(lab.a.ifname, true), { mode: 0o600 });
    process.kill(agent.pid, 'SIGHUP');
    await waitUntil('the IPv4 filter with VRID 77', async () => sock(await status(), 4)?.wakeVrids?.join() === '51,77', 20_000);
    const before = await status();
    const vrid4 = inst(before, 'VI_4')?.counters.vrid;
    await send(4, v2(77), 5);
    const s = await waitUntil('VI_77 receiving the adverts', async () => {
      const x = await status();
      return (inst(x, 'VI_77')?.counters.received ?? 0) >= 5 && x;
    }, 20_000);
    assert.equal(inst(s, 'VI_77')?.counters.received, 5);
    assert.equal(inst(s, 'VI_4')?.counters.vrid, vrid4);
    assert.equal((sock(s, 4)?.read ?? 0) - (sock(before, 4)?.read ?? 0), 5);
  });
});
