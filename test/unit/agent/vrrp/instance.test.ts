// Input: the seed vrrp_instance from keepalived.conf. Output: the state machine config, the exact advert bytes and the receive expectation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../../agent/config/load.js';
import { advertExpectation, advertFor, routerConfig } from '../../../../agent/vrrp/instance.js';
import { decodeAdvert, encodeAdvert, encodeIPv4Datagram, validateAdvert } from '../../../../agent/vrrp/packet.js';

const seed = loadConfig(fileURLToPath(new URL('../fixtures/config/seed.conf', import.meta.url))).config.instances[0];

test('the seed instance becomes a nopreempt VRRPv2 router with keepalived garp defaults', () => {
  assert.ok(seed);
  assert.deepEqual(routerConfig(seed, '10.0.0.2'), {
    name: 'VI_1', vrid: 254, version: 2, priority: 100, advertIntervalCs: 100, preempt: false, preemptDelayMs: 0,
    initialState: 'backup', primaryAddress: '10.0.0.2', garp: { delayMs: 5000, repeat: 5, refreshMs: 0, refreshRepeat: 1 },
  });
});

test('the seed advert is the hand-checked RFC 3768 byte vector', () => {
  assert.ok(seed);
  const bytes = encodeAdvert(advertFor(seed, 100), { family: 4, src: '10.0.0.2', dst: '224.0.0.18' });
  assert.equal(Buffer.from(bytes).toString('hex'), '21fe6401010155' + '46c0a800ae3131313100000000');
});

test('a peer running the seed config passes the seed instance\'s receive checks; a wrong password does not', () => {
  assert.ok(seed);
  const peer = encodeIPv4Datagram(encodeAdvert(advertFor(seed, 150), { family: 4, src: '10.0.0.1', dst: '224.0.0.18' }), { src: '10.0.0.1', dst: '224.0.0.18' });
  const d = decodeAdvert(peer, { family: 4 });
  assert.ok(d.ok);
  assert.deepEqual(validateAdvert(d.advert, advertExpectation(seed)), { ok: true });
  const other = { ...seed, authentication: { type: 'PASS' as const, pass: '2222' } };
  const r = validateAdvert(d.advert, advertExpectation(other));
  assert.equal(r.ok ? 'ok' : r.reason, 'auth');
});
