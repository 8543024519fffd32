// This machine's neighbour (ARP/NDP) entry for a VIP: read it, and watch it change while a failover runs, to
// see whether the new master's gratuitous ARP (or unsolicited NA) reached us. Uses iproute2's `ip`.
import { execFile, spawn } from 'node:child_process';
import { parseNeighbourEvent, parseNeighbours, type NeighbourEntry } from './facts.js';

/** The entry for `address`, null when there is none, or 'unavailable' when `ip` cannot be run. */
export function readNeighbour(address: string): Promise<NeighbourEntry | null | 'unavailable'> {
  return new Promise((resolve) => {
    execFile('ip', ['-j', 'neigh', 'show', 'to', address], { timeout: 5000 }, (err, stdout) => {
      if (err) return resolve('unavailable');
      const e = parseNeighbours(stdout).find((n) => n.dst === address.toLowerCase());
      resolve(e ?? null);
    });
  });
}

export interface NeighbourChange {
  /** Our clock when `ip monitor` reported it (epoch ms). */
  at: number;
  lladdr: string | null;
  state: string[];
  deleted: boolean;
}

export interface NeighbourWatch {
  readonly changes: readonly NeighbourChange[];
  stop(): Promise<void>;
}

/** Records every change of the entry for `address` (`ip monitor neigh`), stamped on arrival. */
export function watchNeighbour(address: string, clock: () => number): NeighbourWatch {
  const changes: NeighbourChange[] = [];
  const child = spawn('ip', ['monitor', 'neigh'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let partial = '';
  child.stdout.on('data', (b: Buffer) => {
    const at = clock();
    const lines = (partial + b.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      const e = parseNeighbourEvent(l);
      if (e && e.dst === address.toLowerCase()) changes.push({ at, lladdr: e.lladdr, state: e.state, deleted: e.deleted });
    }
  });
  // Never outlive this process (a second Ctrl-C exits at once).
  const onExit = () => child.kill('SIGTERM');
  process.once('exit', onExit);
  const exited = new Promise<void>((resolve) => {
    child.on('close', () => resolve());
    child.on('error', () => resolve());
  });
  return {
    changes,
    async stop() {
      process.off('exit', onExit);
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill('SIGTERM');
      await exited;
    },
  };
}
