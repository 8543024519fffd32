// Input: a local HTTP/TCP server on 127.0.0.1 that changes who answers, and recorded ping lines.
// Output: probe samples stamped with send times, the node that answered, and the outage they show.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describeProbe, nodeNamedIn, parsePingLine, startProbe } from '../../../cli/verify/client-probe.js';
import { measureOutage } from '../../../cli/verify/measure.js';

const clock = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('nodeNamedIn', () => {
  test('finds exactly one node name as a whole word', () => {
    assert.equal(nodeNamedIn('haup lab host h1\n', ['h1', 'h2']), 'h1');
    assert.equal(nodeNamedIn('haup lab host h12\n', ['h1', 'h2']), null);
    assert.equal(nodeNamedIn('h1 and h2', ['h1', 'h2']), null);
    assert.equal(nodeNamedIn('web-1.example (a.b)', ['web-1.example']), 'web-1.example');
  });
});

describe('HTTP probe', () => {
  test('opens a new connection per request and sees the switch from h1 through an outage to h2', async () => {
    let who: 'h1' | 'down' | 'h2' = 'h1';
    const sockets = new Set<number>();
    const server = createServer((req, res) => {
      sockets.add(req.socket.remotePort ?? 0);
      if (who === 'down') return req.socket.destroy();
      res.end(`haup lab host ${who}\n`);
    });
    const port = await listen(server);
    try {
      const probe = startProbe({ type: 'http', address: '127.0.0.1', port, path: '/', nodes: ['h1', 'h2'] }, { clock, intervalMs: 10, timeoutMs: 200 });
      await sleep(150);
      const induced = clock();
      who = 'down';
      await sleep(150);
      who = 'h2';
      await sleep(150);
      const samples = await probe.stop();
      assert.ok(samples.length >= 20, `${samples.length} samples`);
      assert.ok(samples.every((s, i) => i === 0 || s.t >= (samples[i - 1]?.t ?? 0)), 'sorted by send time');
      assert.ok(sockets.size >= samples.length - 2, 'one connection per request');
      const o = measureOutage(samples, induced, 'h1');
      assert.equal(o.newHolder, 'h2');
      assert.ok(o.windowMs !== null && o.windowMs >= 100 && o.windowMs < 400, `window ${o.windowMs}`);
      assert.ok(o.failedSamples >= 5);
    } finally {
      server.close();
    }
  });
  test('counts a request that gets no answer within the timeout as failed', async () => {
    const server = createServer(() => undefined);
    const port = await listen(server);
    try {
      const probe = startProbe({ type: 'http', address: '127.0.0.1', port, path: '/', nodes: [] }, { clock, intervalMs: 10, timeoutMs: 50 });
      await sleep(100);
      const samples = await probe.stop();
      assert.ok(samples.length > 0 && samples.every((s) => !s.ok));
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('TCP probe', () => {
  test('succeeds while something listens and fails once nothing does', async () => {
    const server = createTcpServer((s) => s.destroy());
    const port = await listen(server);
    const probe = startProbe({ type: 'tcp', address: '127.0.0.1', port, path: '/', nodes: [] }, { clock, intervalMs: 10, timeoutMs: 100 });
    await sleep(80);
    await new Promise<void>((r) => server.close(() => r()));
    const closed = clock();
    await sleep(80);
    const samples = await probe.stop();
    assert.ok(samples.some((s) => s.ok && s.t < closed));
    assert.ok(samples.filter((s) => s.t > closed + 5).every((s) => !s.ok));
    assert.equal(describeProbe({ type: 'tcp', address: 'fd00::1', port: 443, path: '/', nodes: [] }), 'tcp [fd00::1]:443');
  });
});

describe('ping probe', () => {
  const noPing = ['/usr/bin/ping', '/bin/ping'].some((p) => existsSync(p)) ? undefined : 'needs ping: apt-get install -y iputils-ping';
  test('samples ICMP echo every 10 ms through ping', { skip: noPing }, async () => {
    const probe = startProbe({ type: 'ping', address: '127.0.0.1', port: 0, path: '/', nodes: [] }, { clock, intervalMs: 10 });
    await sleep(300);
    const samples = await probe.stop();
    assert.ok(samples.filter((s) => s.ok).length >= 10, `${samples.length} samples`);
    assert.ok(samples.every((s) => Math.abs(s.t - Date.now()) < 5000), 'stamped with the wall clock');
  });
});

describe('parsePingLine', () => {
  test('turns a reply into a good sample at its send time and a missing reply into a failed one', () => {
    assert.deepEqual(parsePingLine('[1700000000.500000] 64 bytes from 10.0.0.5: icmp_seq=7 ttl=64 time=0.250 ms', 10), { seq: 7, sample: { t: 1700000000500 - 0.25, ok: true, node: null } });
    assert.deepEqual(parsePingLine('[1700000000.600000] no answer yet for icmp_seq=8', 10), { seq: 8, sample: { t: 1700000000590, ok: false, node: null } });
    assert.equal(parsePingLine('PING 10.0.0.5 (10.0.0.5) 56(84) bytes of data.', 10), null);
  });
});
