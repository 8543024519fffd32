// Unit: where the agent looks for its native addon, in the bundle on a node and in the repository.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addonCandidates, loadAddon } from '../../../../agent/net/socket.js';

describe('addon lookup', () => {
  test('tries HAUP_ADDON, then beside the bundle, then the repository build above the script and the cwd', () => {
    assert.deepEqual(addonCandidates({ HAUP_ADDON: 'x/haup_raw.node' }, '/opt/haup', '/opt/haup/haup-agent.cjs', '/srv/repo').slice(0, 2), [
      `${process.cwd()}/x/haup_raw.node`,
      '/opt/haup/haup_raw.node',
    ]);
    const list = addonCandidates({}, undefined, '/srv/repo/test/unit/x.test.ts', '/srv/repo');
    assert.equal(list[0], '/srv/repo/test/unit/agent/native/build/Release/haup_raw.node');
    assert.ok(list.includes('/srv/repo/agent/native/build/Release/haup_raw.node'));
    assert.equal(list.at(-1), '/agent/native/build/Release/haup_raw.node');
    assert.equal(new Set(list).size, list.length, 'no path twice');
  });

  test('the repository build loads from ESM and exposes openVrrp, sendFrame, ifIndex, changeAddress, readInterface, openLinkMonitor and makeFifo', () => {
    const addon = loadAddon();
    assert.deepEqual(Object.keys(addon).sort(), ['changeAddress', 'ifIndex', 'makeFifo', 'openLinkMonitor', 'openVrrp', 'readInterface', 'sendFrame']);
    assert.throws(() => addon.ifIndex('ht3nope0'), { code: 'ENODEV', syscall: 'if_nametoindex' });
    assert.throws(() => addon.openVrrp({ family: 5 as 4, ifname: 'lo', multicast: true }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => addon.sendFrame('lo', Buffer.alloc(3)), { code: 'ERR_OUT_OF_RANGE' });
  });
});
