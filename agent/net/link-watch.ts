// Watches one interface's link state through `ip -o monitor link` (netlink events, no polling).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { IpCommandError, runIp, showInterface, type InterfaceInfo, type IpRunner } from './vips.js';

export interface LinkState {
  ifname: string;
  exists: boolean;
  ifindex: number;
  /** Administratively up. */
  up: boolean;
  carrier: boolean;
  operstate: string;
  /** What VRRP cares about (track_interface, RFC 5798 §6.4.1 "interface down"): up with carrier. */
  usable: boolean;
}

export function linkStateOf(ifname: string, info: InterfaceInfo | undefined): LinkState {
  if (!info) return { ifname, exists: false, ifindex: 0, up: false, carrier: false, operstate: 'ABSENT', usable: false };
  return {
    ifname,
    exists: true,
    ifindex: info.ifindex,
    up: info.up,
    carrier: info.carrier,
    operstate: info.operstate,
    usable: info.up && info.carrier,
  };
}

export function sameLinkState(a: LinkState | undefined, b: LinkState): boolean {
  return !!a && a.exists === b.exists && a.ifindex === b.ifindex && a.up === b.up && a.carrier === b.carrier && a.operstate === b.operstate;
}

/**
 * The interface a `ip -o monitor link` line is about: "3: eth0@if2: <...> ... state UP ..." or
 * "Deleted 3: eth0: ...". Undefined for lines that are not link lines.
 */
export function parseMonitorLine(line: string): { ifindex: number; ifname: string; deleted: boolean } | undefined {
  const m = /^(Deleted\s+)?(\d+):\s+([^\s:@]+)(?:@[^\s:]+)?:/.exec(line);
  if (!m?.[2] || !m[3]) return undefined;
  return { ifindex: Number(m[2]), ifname: m[3], deleted: !!m[1] };
}

export interface LinkWatcher {
  /** The last state reported (undefined until the first query finished). */
  current(): LinkState | undefined;
  stop(): void;
}

export interface LinkWatchOptions {
  run?: IpRunner;
  onError?: (err: Error) => void;
  /** Delay before restarting a monitor that died; default 1000 ms. */
  restartMs?: number;
}

/**
 * Calls onChange with the interface's state once at start and then on every change. A netlink
 * event only triggers a re-read with `ip -j addr show dev IF`, so the monitor's text format is
 * never trusted for the state itself. The monitor process does not keep the event loop alive.
 */
export function watchLink(ifname: string, onChange: (state: LinkState) => void, opts: LinkWatchOptions = {}): LinkWatcher {
  const run = opts.run ?? runIp;
  const restartMs = opts.restartMs ?? 1000;
  let last: LinkState | undefined;
  let stopped = false;
  let querying = false;
  let again = false;
  let child: ChildProcess | undefined;
  let restartTimer: NodeJS.Timeout | undefined;

  const report = (err: unknown) => opts.onError?.(err instanceof Error ? err : new Error(String(err)));

  async function refresh(): Promise<void> {
    if (querying) {
      again = true; // coalesce bursts of events into one more read
      return;
    }
    querying = true;
    try {
      do {
        again = false;
        let state: LinkState;
        try {
          state = linkStateOf(ifname, await showInterface(ifname, run));
        } catch (err) {
          if (!(err instanceof IpCommandError && /does not exist/.test(err.stderr))) throw err;
          state = linkStateOf(ifname, undefined);
        }
        if (!stopped && !sameLinkState(last, state)) {
          last = state;
          onChange(state);
        }
      } while (again && !stopped);
    } catch (err) {
      report(err);
    } finally {
      querying = false;
    }
  }

  function startMonitor(): void {
    if (stopped) return;
    const proc = spawn('ip', ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LC_ALL: 'C' } });
    child = proc;
    proc.unref();
    const out = proc.stdout;
    if (out && 'unref' in out && typeof out.unref === 'function') out.unref();
    if (out) {
      createInterface({ input: out }).on('line', (line) => {
        if (parseMonitorLine(line)?.ifname === ifname) void refresh();
      });
    }
    proc.on('error', (err) => report(err));
    proc.on('exit', (code, signal) => {
      if (child === proc) child = undefined;
      if (stopped) return;
      report(new Error(`ip monitor link exited (${signal ?? code}); restarting in ${restartMs} ms`));
      restartTimer = setTimeout(() => {
        startMonitor();
        void refresh(); // events may have been missed while it was down
      }, restartMs);
      restartTimer.unref();
    });
  }

  // Monitor first, then read: a change between the two is never lost.
  startMonitor();
  void refresh();

  return {
    current: () => last,
    stop() {
      stopped = true;
      if (restartTimer) clearTimeout(restartTimer);
      if (child && child.exitCode === null) child.kill('SIGTERM');
      child = undefined;
    },
  };
}
