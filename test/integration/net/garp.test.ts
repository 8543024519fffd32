// Integration: gratuitous ARP and unsolicited NA frames sent from namespace A change B's neighbour table.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, nsRun, NsWorker, skipReason, waitUntil, type Lab } from '../../support/netns.js';

const skip = skipReason(['ip']);
const STALE_MAC = '02:00:00:00:00:99';

describe('gratuitous ARP and unsolicited neighbour advertisement', { skip }, () => {
  let lab: Lab;
  let a: NsWorker;

  before(async () => {
    lab = await createLab('ga');
    a = await NsWorker.start(lab.a.ns);
  });
  after(async () => {
    await a?.stop();
    await lab?.down();
  });

  async function neighbourMac(family: 4 | 6, ip: string): Promise<string | undefined> {
    const { stdout } = await nsRun(lab.b.ns, 'ip', [`-${family}`, '-j', 'neigh', 'show', ip, 'dev', lab.b.ifname]);
    return (JSON.parse(stdout) as { lladdr?: string }[])[0]?.lladdr;
  }

  for (const [family, vip] of [
    [4, '10.203.0.77'],
    [6, 'fd03::77'],
  ] as const) {
    test(`${family === 4 ? 'a gratuitous ARP' : 'an unsolicited NA'} from A moves B's neighbour entry for the VIP to A's MAC`, async () => {
      // B believes the VIP lives at another MAC, as after a failover from another node.
      await nsRun(lab.b.ns, 'ip', [`-${family}`, 'neigh', 'replace', vip, 'lladdr', STALE_MAC, 'dev', lab.b.ifname, 'nud', 'stale']);
      assert.equal(await neighbourMac(family, vip), STALE_MAC);
      const bytes = await a.request<number>('sendGratuitous', { ifname: lab.a.ifname, mac: lab.a.mac, vip });
      assert.equal(bytes, family === 4 ? 42 : 86);
      await waitUntil(`B's neighbour entry for ${vip} to show ${lab.a.mac}`, async () => (await neighbourMac(family, vip)) === lab.a.mac, 5000);
    });
  }

  test('sendFrame on an unknown interface throws ENODEV', async () => {
    await assert.rejects(a.request('sendFrame', { ifname: 'ht3nope0', hex: 'ff'.repeat(14) }), { code: 'ENODEV' });
  });

  test('the NA Router flag follows the interface forwarding setting', async () => {
    assert.equal(await a.request('call', { fn: 'ipv6Forwarding', args: [lab.a.ifname] }), false);
    await nsRun(lab.a.ns, 'sysctl', ['-qw', `net.ipv6.conf.${lab.a.ifname}.forwarding=1`]);
    assert.equal(await a.request('call', { fn: 'ipv6Forwarding', args: [lab.a.ifname] }), true);
  });
});
