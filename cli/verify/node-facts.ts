// What `haup status` and `haup verify` learn about one node in one round trip: the daemon's pid and liveness,
// the agent's status file, the node's addresses and clock. Pure: script text out, parsed facts in.
import type { AgentStatus } from '../../agent/status.js';
import { ENGINE_PATHS, type Engine, type EnginePaths } from '../inventory/model.js';
import { shellQuote as q } from '../transport/remote-script.js';
import { parseAgentStatus, parseIpAddr, parseLinkMacs, type InterfaceAddress } from './facts.js';

/** The first line of every verify/status script names it (readable in `ps`; tests dispatch on it). */
export const MARK = '# haup-verify';

/** Shell lines every script shares: paths and a fork-free liveness test (a zombie counts as gone). */
export function prelude(paths: Pick<EnginePaths, 'pidfile' | 'stateFile'>): string[] {
  return [
    'set -u',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH',
    `PIDF=${q(paths.pidfile)}`,
    `STATE=${q(paths.stateFile ?? '')}`,
    // /proc/PID/stat: "pid (comm) S ..."; state Z (not yet reaped) or X means the process is gone.
    'alive() { [ -n "$1" ] || return 1; s=; { read -r s < "/proc/$1/stat"; } 2>/dev/null || return 1; case "$s" in *") Z "*|*") X "*) return 1 ;; esac; return 0; }',
    'cur() { c=; { read -r c < "$PIDF"; } 2>/dev/null; echo "$c"; }',
    'now() { date +%s%N; }',
  ];
}

/**
 * Lines that print the daemon, init system, clock, status file and addresses as sections parseNodeFacts reads;
 * with `rivalPidfile`, also a live daemon of the other engine (a keepalived left running next to the agent).
 */
export function factsLines(rivalPidfile: string | null = null): string[] {
  return [
    'p=$(cur)',
    'if alive "$p"; then echo "pid=$p alive"; else echo "pid=$p dead"; fi',
    ...(rivalPidfile ? [`r=; { read -r r < ${q(rivalPidfile)}; } 2>/dev/null; if [ "$r" != "$p" ] && alive "$r"; then echo "rival=$r"; fi`] : []),
    'if [ -d /run/systemd/system ]; then echo init=systemd; else echo init=none; fi',
    'echo "clock=$(now)"',
    'echo state-begin; if [ -n "$STATE" ]; then cat "$STATE" 2>/dev/null; fi; echo; echo state-end',
    'echo addr-begin; ip -j addr show 2>/dev/null; echo; echo addr-end',
  ];
}

/** The other engine: its daemon must not run next to this one (both would speak VRRP for the node). */
export function rivalEngine(engine: Engine): Engine {
  return engine === 'haup' ? 'keepalived' : 'haup';
}

export function engineName(engine: Engine): string {
  return engine === 'haup' ? 'the haup agent' : 'keepalived';
}

/** One round trip: everything `haup status` shows about a node. */
export function nodeFactsScript(host: { engine: Engine; paths: Pick<EnginePaths, 'pidfile' | 'stateFile'> }): string {
  return `${[`${MARK} facts`, ...prelude(host.paths), ...factsLines(ENGINE_PATHS[rivalEngine(host.engine)].pidfile)].join('\n')}\n`;
}

export interface NodeFacts {
  /** The pid in the daemon's pidfile, and whether that process lives. */
  pid: number | null;
  running: boolean;
  init: 'systemd' | 'none';
  /** The node's wall clock when the script ran (epoch ms), or null if `date +%s%N` did not work. */
  clockMs: number | null;
  /** The agent's status, only when the running daemon wrote it (a dead agent's file is `staleStatus`). */
  status: AgentStatus | null;
  staleStatus: AgentStatus | null;
  addresses: InterfaceAddress[];
  /** MAC address per Ethernet interface. */
  macs: Map<string, string>;
  /** The pid of a live daemon of the other engine, if one runs. */
  rivalPid: number | null;
}

export function section(lines: readonly string[], name: string): string | null {
  const start = lines.indexOf(`${name}-begin`);
  if (start < 0) return null;
  const end = lines.indexOf(`${name}-end`, start + 1);
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n').trim();
}

export function value(lines: readonly string[], key: string): string | null {
  const line = lines.find((l) => l.startsWith(`${key}=`));
  return line === undefined ? null : line.slice(key.length + 1);
}

/** Epoch milliseconds from `date +%s%N` output (nanoseconds), or null. */
export function parseClock(text: string | null): number | null {
  if (text === null || !/^\d{10,}$/.test(text)) return null;
  // Split to keep sub-millisecond digits without losing precision in a double.
  return Number(text.slice(0, -6)) + Number(text.slice(-6)) / 1e6;
}

export function parseNodeFacts(out: string): NodeFacts {
  const lines = out.split('\n');
  const pm = /^(\d*) (alive|dead)$/.exec(value(lines, 'pid') ?? '');
  const pid = pm && pm[1] ? Number(pm[1]) : null;
  const running = pm?.[2] === 'alive';
  const file = parseAgentStatus(section(lines, 'state'));
  const fresh = file !== null && running && file.pid === pid;
  const addr = section(lines, 'addr') ?? '';
  return {
    pid,
    running,
    init: value(lines, 'init') === 'systemd' ? 'systemd' : 'none',
    clockMs: parseClock(value(lines, 'clock')),
    status: fresh ? file : null,
    staleStatus: fresh ? null : file,
    addresses: parseIpAddr(addr),
    macs: parseLinkMacs(addr),
    rivalPid: /^\d+$/.test(value(lines, 'rival') ?? '') ? Number(value(lines, 'rival')) : null,
  };
}

/**
 * The node's clock minus ours, NTP style: the remote read happened between sending and receiving, so assume
 * the middle; the error is at most half the round trip. Used to place remote timestamps on our time line.
 */
export function clockOffsetMs(remoteMs: number | null, sentMs: number, receivedMs: number): { offsetMs: number; errorMs: number } | null {
  if (remoteMs === null) return null;
  return { offsetMs: remoteMs - (sentMs + receivedMs) / 2, errorMs: (receivedMs - sentMs) / 2 };
}

/**
 * The offset to apply to a node's timestamps: none when it is within the measurement error (clocks in sync,
 * e.g. by NTP, or the lab's single machine), since one SSH round trip is far less precise than a synced clock.
 */
export function usableOffset(o: { offsetMs: number; errorMs: number } | undefined): number {
  return o === undefined || Math.abs(o.offsetMs) <= o.errorMs ? 0 : o.offsetMs;
}
