// Runs inside a test namespace for receive-age.test.ts: VRRP sockets (IPv4 and IPv6) on one interface,
// reporting each packet's kernel-reported age as a JSON line. On the stdin line "block FLAGFILE" it blocks its
// event loop until FLAGFILE exists and then 100 ms more, so packets wait in the socket meanwhile.
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { openVrrpSocket } from '../../../agent/net/socket.js';

const ifname = process.argv[2] ?? '';
const out = (msg: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const sockets = ([4, 6] as const).map((family) => openVrrpSocket({ family, ifname, multicast: true }));
for (const s of sockets) {
  s.start(
    (p) => out({ event: 'packet', family: s.family, ageMs: p.ageMs, at: performance.now() }),
    (err) => out({ event: 'socket-error', message: err.message }),
  );
}
createInterface({ input: process.stdin })
  .on('line', (line) => {
    const [cmd, flag] = line.split(' ');
    if (cmd !== 'block' || !flag) return;
    out({ event: 'blocking', at: performance.now() });
    while (!existsSync(flag)) {
      // busy: the event loop must not run
    }
    const flagAt = performance.now();
    while (performance.now() - flagAt < 100) {
      // busy
    }
    out({ event: 'unblocked', flagAt, at: performance.now() });
  })
  .on('close', () => {
    for (const s of sockets) s.close();
    process.exit(0);
  });
out({ event: 'ready' });
