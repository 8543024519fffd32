// coalesceWrites: what ssh2 writes to the TCP socket in one tick leaves in one writev, in order, without waiting
// for anything else. Real loopback sockets; the socket's _write/_writev (one system call each) are counted.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { coalesceWrites } from '../../../cli/transport/ssh-connect.js';

interface Counted {
  sock: net.Socket;
  received: () => Buffer;
  calls: { write: number; writev: number[] };
  close: () => Promise<void>;
}

/** A connected loopback pair; `sock` (the client end) counts its _write calls and the chunks of each _writev. */
async function pair(coalesce: boolean): Promise<Counted> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const accepted = once(server, 'connection');
  const sock = net.connect({ host: '127.0.0.1', port });
  await once(sock, 'connect');
  sock.setNoDelay(true);
  const [peer] = (await accepted) as [net.Socket];
  const chunks: Buffer[] = [];
  peer.on('data', (b: Buffer) => chunks.push(b));
  const calls = { write: 0, writev: [] as number[] };
  const s = sock as net.Socket & { _write: (...a: unknown[]) => void; _writev: (chunks: unknown[], cb: unknown) => void };
  const write = s._write;
  const writev = s._writev;
  s._write = function (this: net.Socket, ...a: unknown[]) {
    calls.write++;
    return write.apply(this, a);
  };
  s._writev = function (this: net.Socket, c: unknown[], cb: unknown) {
    calls.writev.push(c.length);
    return writev.call(this, c, cb);
  };
  if (coalesce) coalesceWrites(sock);
  return {
    sock,
    received: () => Buffer.concat(chunks),
    calls,
    close: async () => {
      sock.destroy();
      peer.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function arrived(p: Counted, bytes: number): Promise<void> {
  for (let i = 0; i < 200 && p.received().length < bytes; i++) await new Promise((r) => setTimeout(r, 5));
}

/** One packet as ssh2 writes it without its native binding: length, ciphertext, tag, in one tick. */
async function writePacket(p: Counted): Promise<void> {
  p.sock.write(Buffer.from('LEN:'));
  p.sock.write(Buffer.from('ciphertext'));
  p.sock.write(Buffer.from(':TAG'));
  await tick();
}

describe('coalesceWrites', () => {
  test("a packet's three writes (length, ciphertext, tag) leave as one writev, in order", async () => {
    const p = await pair(true);
    try {
      await writePacket(p);
      assert.deepEqual(p.calls, { write: 0, writev: [3] });
      await arrived(p, 18);
      assert.equal(p.received().toString(), 'LEN:ciphertext:TAG');
    } finally {
      await p.close();
    }
  });

  test('each tick flushes its own writes: nothing waits for a later write', async () => {
    const p = await pair(true);
    try {
      p.sock.write('a1');
      p.sock.write('a2');
      await tick();
      await arrived(p, 4);
      assert.equal(p.received().toString(), 'a1a2', 'the first batch arrived before anything else was written');
      p.sock.write('b1');
      p.sock.write('b2');
      p.sock.write('b3');
      await tick();
      await arrived(p, 10);
      assert.equal(p.received().toString(), 'a1a2b1b2b3');
      assert.deepEqual(p.calls, { write: 0, writev: [2, 3] });
    } finally {
      await p.close();
    }
  });

  test('write callbacks and end() still work through the cork', async () => {
    const p = await pair(true);
    try {
      const done: string[] = [];
      p.sock.write('x', () => done.push('x'));
      p.sock.end('y', () => done.push('end'));
      await once(p.sock, 'finish');
      await arrived(p, 2);
      assert.equal(p.received().toString(), 'xy');
      assert.deepEqual(done, ['x', 'end']);
    } finally {
      await p.close();
    }
  });

  test('control: without it, the same three writes take more than one system call', async () => {
    const p = await pair(false);
    try {
      await writePacket(p);
      assert.ok(p.calls.write + p.calls.writev.length > 1, JSON.stringify(p.calls));
    } finally {
      await p.close();
    }
  });
});
