// Watches one interface's link state through rtnetlink events (no polling): in-process with the addon's
// link monitor, or `ip -o monitor link` with an addon that predates it.
import type { ChildProcess } from 'node:child_process';
import { childProcess, readline } from '../builtins.js';
import { linkEvents } from './netlink.js';
import { tryLoadAddon, type NativeLinkMonitor } from './socket.js';
import { IpCommandError, netlinkInterfaceReader, runIp, showInterface, type InterfaceInfo, type InterfaceReader, type IpRunner } from './vips.js';

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
  /** Read and watch through `ip` (tests inject a fake); default: in-process through the addon when it can. */
  run?: IpRunner;
  onError?: (err: Error) => void;
  /** Delay before restarting an `ip monitor` that died; default 1000 ms. */
  restartMs?: number;
}

/**
 * Calls onChange with the interface's state once at start (asynchronously) and then on every change.
 * A netlink event only triggers a re-read of the interface, so an event's own contents are never
 * trusted for the state itself. Neither the netlink socket nor the `ip monitor` process keeps the
 * event loop alive.
 */
export function watchLink(ifname: string, onChange: (state: LinkState) => void, opts: LinkWatchOptions = {}): LinkWatcher {
  const addon = opts.run ? undefined : tryLoadAddon();
  const reader = addon?.openLinkMonitor ? netlinkInterfaceReader() : undefined;
  if (addon?.openLinkMonitor && reader) {
    try {
      return watchLinkNetlink(ifname, onChange, addon.openLinkMonitor(), reader, opts);
    } catch (err) {
      opts.onError?.(new Error(`rtnetlink link monitor unavailable (${(err as Error).message}); using ip monitor link`));
    }
  }
  return watchLinkIp(ifname, onChange, opts);
}

/** watchLink through a link monitor and an in-process reader (exported for tests with fakes of both). */
export function watchLinkNetlink(ifname: string, onChange: (state: LinkState) => void, monitor: NativeLinkMonitor, read: InterfaceReader, opts: LinkWatchOptions): LinkWatcher {
  let last: LinkState | undefined;
  let stopped = false;
  const report = (err: unknown) => opts.onError?.(err instanceof Error ? err : new Error(String(err)));

  function refresh(): void {
    if (stopped) return;
    try {
      const state = linkStateOf(ifname, read(ifname));
      if (!sameLinkState(last, state)) {
        last = state;
        onChange(state);
      }
    } catch (err) {
      report(err);
    }
  }

  // Subscribed first, then read: a change between the two is never lost.
  monitor.start(
    (buf) => {
      // By name, or by index: a rename away from ifname must be seen too.
      if (linkEvents(buf).some((e) => e.ifname === ifname || (last?.exists && e.ifindex === last.ifindex))) refresh();
    },
    (err) => {
      if (err.code !== 'ENOBUFS') report(err);
      refresh(); // events may have been lost
    },
  );
  monitor.unref();
  queueMicrotask(refresh);

  return {
    current: () => last,
    stop() {
      stopped = true;
      monitor.close();
    },
  };
}

function watchLinkIp(ifname: string, onChange: (state: LinkState) => void, opts: LinkWatchOptions): LinkWatcher {
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
    const proc = childProcess().spawn('ip', ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LC_ALL: 'C' } });
    child = proc;
    proc.unref();
    const out = proc.stdout;
    if (out && 'unref' in out && typeof out.unref === 'function') out.unref();
    if (out) {
      readline().createInterface({ input: out }).on('line', (line) => {
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
