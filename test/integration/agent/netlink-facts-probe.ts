// Runs inside a test namespace for netlink-facts.test.ts. argv: MODE IFNAME.
//   facts: prints the in-process rtnetlink reading of IFNAME ({event:'facts', info}) and exits.
//   watch: watches IFNAME with watchLink, printing each state ({event:'link', state, children}); stdin
//          "stop" stops the watcher (the process must then exit by itself).
//   idle:  watches IFNAME and prints the first state; nothing else holds the event loop, so it exits.
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { watchLink } from '../../../agent/net/link-watch.js';
import { netlinkInterfaceReader } from '../../../agent/net/vips.js';

const [mode, ifname = ''] = process.argv.slice(2);
const out = (msg: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(msg)}\n`);

/** Child processes of this process right now (an `ip monitor` would show up here). */
function children(): number {
  return readdirSync('/proc/self/task').reduce((n, t) => n + readFileSync(`/proc/self/task/${t}/children`, 'utf8').split(' ').filter(Boolean).length, 0);
}

if (mode === 'facts') {
  const read = netlinkInterfaceReader();
  if (!read) throw new Error('the addon has no readInterface');
  out({ event: 'facts', info: read(ifname) ?? null });
} else {
  const w = watchLink(ifname, (state) => out({ event: 'link', state, children: children() }), { onError: (err) => out({ event: 'error', message: err.message }) });
  if (mode === 'watch') {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      if (line.trim() !== 'stop') return;
      w.stop();
      rl.close();
      out({ event: 'stopped' });
    });
  }
}
