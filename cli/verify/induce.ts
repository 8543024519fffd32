// The scripts `haup verify` runs on a node to cause a failure (stop, kill, failed check) and to undo it, and
// the parsers for what they print. Pure: every value is quoted; each script is one round trip.
import type { CheckSpec, Engine, EnginePaths } from '../inventory/model.js';
import { shellQuote as q } from '../transport/remote-script.js';
import type { FailureMode } from './measure.js';
import { factsLines, MARK, parseClock, prelude, section, value } from './node-facts.js';

export interface DaemonTarget {
  engine: Engine;
  paths: EnginePaths;
}

/** Exit codes, so the caller can say what went wrong. */
export const EXIT_DAEMON_NOT_RUNNING = 4;
export const EXIT_START_FAILED = 6;
export const EXIT_SERVICE_NOT_RUNNING = 7;
export const EXIT_CANNOT_BREAK = 8;

function unit(t: DaemonTarget): string {
  return q(`${t.paths.service}.service`);
}

/** Lines that print the daemon's pid and command line (so a restore restarts it exactly as it ran). */
function daemonLines(): string[] {
  return [
    'p=$(cur)',
    `alive "$p" || { echo "haup: the daemon is not running (no live pid in $PIDF)" >&2; exit ${EXIT_DAEMON_NOT_RUNNING}; }`,
    'echo "pid=$p"',
    `echo argv-begin; tr '\\000' '\\n' < "/proc/$p/cmdline"; echo; echo argv-end`,
  ];
}

/**
 * stop: the daemon's own graceful stop (systemd when it runs the daemon, else SIGTERM): the agent sends
 * priority 0 and removes its VIPs. kill: SIGKILL, nothing is cleaned up (keepalived's children too, so its
 * VRRP process dies with it). Prints `clock=` (ns) right before the signal.
 */
export function daemonFailureScript(t: DaemonTarget, mode: 'stop' | 'kill'): string {
  const lines = [`${MARK} induce ${mode}`, ...prelude(t.paths), ...daemonLines()];
  if (mode === 'stop') {
    lines.push(
      `if [ -d /run/systemd/system ] && systemctl is-active --quiet ${unit(t)} && [ "$(systemctl show -p MainPID --value ${unit(t)})" = "$p" ]; then`,
      `  echo how=systemd; echo "clock=$(now)"; systemctl stop --no-block ${unit(t)}`,
      'else',
      '  echo how=signal; echo "clock=$(now)"; kill -TERM "$p"',
      'fi',
    );
  } else {
    lines.push(
      // /proc/PID/task/TID/children has no trailing newline: read fails at EOF but still sets k.
      'kids=; for f in /proc/"$p"/task/*/children; do k=; read -r k < "$f" 2>/dev/null; kids="$kids $k"; done',
      'echo "kids=$kids"',
      'echo how=signal; echo "clock=$(now)"; kill -KILL "$p" $kids 2>/dev/null',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** What verify needs to know about the guarded service to break and restore it. */
export interface ServiceTarget {
  service: string;
  pidfile: string;
  process: string;
  /** The check script's start command, if any (it restarts the service with it instead of systemd). */
  start: readonly string[] | null;
}

/** The guarded service of a check, or why check mode cannot break it. */
export function serviceTarget(check: CheckSpec | null): ServiceTarget | string {
  if (check === null) return 'the pair has no check script';
  if (check.service === null || check.pidfile === null || check.process === null) {
    return `the ${check.template} check guards no service (set check.service, and pidfile/process if they differ from the defaults)`;
  }
  return { service: check.service, pidfile: check.pidfile, process: check.process, start: check.start };
}

function serviceLines(s: ServiceTarget): string[] {
  return [
    `SERVICE=${q(s.service)}`,
    `SPIDF=${q(s.pidfile)}`,
    `PROCESS=${q(s.process)}`,
    `START0=${q(s.start?.[0] ?? '')}`,
    // `false` is a shell builtin: the bind mount needs the program's path.
    'FALSE=; for f in /usr/bin/false /bin/false; do [ -x "$f" ] && { FALSE=$f; break; }; done',
    'spid() { c=; { read -r c < "$SPIDF"; } 2>/dev/null; echo "$c"; }',
    'svc_ok() { sp=$(spid); alive "$sp" || return 1; cm=; { read -r cm < "/proc/$sp/comm"; } 2>/dev/null; [ "$cm" = "$PROCESS" ]; }',
    // Under systemd without an explicit start command the check restarts the unit: a runtime mask stops it
    // and makes every restart fail until unmasked (and a reboot clears it).
    'use_mask() { [ -z "$START0" ] && [ -d /run/systemd/system ] && systemctl cat "$SERVICE.service" >/dev/null 2>&1; }',
  ];
}

/**
 * check: makes the guarded service fail and unrestartable, so the check script acts as it would for a real
 * failure. systemd: `systemctl mask --runtime --now`. Otherwise the program the check restarts (its start
 * command, or the running process's executable) is covered by a bind mount of `false`, then the service is
 * stopped by its pidfile. Prints `how=`, `exe=` and `clock=` (right before the service stops).
 */
export function serviceFailureScript(t: DaemonTarget, s: ServiceTarget): string {
  const lines = [
    `${MARK} induce check`,
    ...prelude(t.paths),
    ...serviceLines(s),
    'if use_mask; then',
    `  echo how=systemd-mask; echo "clock=$(now)"; systemctl mask --runtime --now "$SERVICE" >/dev/null || { echo "haup: systemctl mask --runtime --now $SERVICE failed" >&2; exit ${EXIT_CANNOT_BREAK}; }`,
    '  exit 0',
    'fi',
    'sp=$(spid)',
    `svc_ok || { echo "haup: $SERVICE is not running (no live $PROCESS pid in $SPIDF)" >&2; exit ${EXIT_SERVICE_NOT_RUNNING}; }`,
    'if [ -n "$START0" ]; then EXE=$(command -v "$START0"); else EXE=$(readlink "/proc/$sp/exe"); fi',
    `[ -n "$EXE" ] && [ -f "$EXE" ] || { echo "haup: cannot find the program that starts $SERVICE" >&2; exit ${EXIT_CANNOT_BREAK}; }`,
    'echo "exe=$EXE"',
    `mount --bind "$FALSE" "$EXE" || { echo "haup: cannot cover $EXE with $FALSE (mount --bind)" >&2; exit ${EXIT_CANNOT_BREAK}; }`,
    'echo how=bind',
    'echo "clock=$(now)"; kill -TERM "$sp"',
    'n=0; while alive "$sp"; do n=$((n+1)); [ $n -eq 500 ] && kill -KILL "$sp"; [ $n -ge 750 ] && break; sleep 0.02; done',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Undoes serviceFailureScript (whatever part of it ran): removes every bind mount of `false` over the
 * program, lifts a runtime mask, starts the service the way its check would if it is not running, and
 * waits up to 10 s until it runs. Prints `svc-pid=`.
 */
export function serviceRestoreScript(t: DaemonTarget, s: ServiceTarget, exe: string | null): string {
  const start = s.start
    ? `setsid ${s.start.map(q).join(' ')} </dev/null >/dev/null 2>&1`
    : 'if [ -d /run/systemd/system ]; then systemctl start "$SERVICE"; elif [ -x "/etc/init.d/$SERVICE" ]; then "/etc/init.d/$SERVICE" start </dev/null >/dev/null 2>&1; else "$SERVICE" </dev/null >/dev/null 2>&1; fi';
  const lines = [
    `${MARK} restore check`,
    ...prelude(t.paths),
    ...serviceLines(s),
    `EXE=${q(exe ?? '')}`,
    '[ -n "$EXE" ] || { [ -n "$START0" ] && EXE=$(command -v "$START0"); }',
    // Covered = a mount point (mountinfo field 5) that is the same file as `false`.
    'covered() { [ -n "$EXE" ] && [ "$EXE" -ef "$FALSE" ] || return 1; while read -r _ _ _ _ mp _; do [ "$mp" = "$EXE" ] && return 0; done < /proc/self/mountinfo; return 1; }',
    'n=0; while covered && [ $n -lt 10 ]; do umount "$EXE" 2>/dev/null || umount -l "$EXE"; n=$((n+1)); done',
    `if covered; then echo "haup: $EXE is still covered by $FALSE; remove it with: umount $EXE" >&2; exit ${EXIT_START_FAILED}; fi`,
    'if [ -d /run/systemd/system ] && [ "$(exec systemctl is-enabled "$SERVICE" 2>/dev/null)" = masked-runtime ]; then systemctl unmask --runtime "$SERVICE"; fi',
    `if ! svc_ok; then ${start}; fi`,
    `n=0; until svc_ok; do n=$((n+1)); [ $n -ge 500 ] && { echo "haup: $SERVICE did not start within 10 s" >&2; exit ${EXIT_START_FAILED}; }; sleep 0.02; done`,
    'echo "svc-pid=$sp"',
  ];
  return `${lines.join('\n')}\n`;
}

/** The command line a daemon runs with when verify does not know how it was started. */
export function defaultDaemonArgv(t: DaemonTarget): string[] {
  return t.engine === 'haup' ? ['node', t.paths.agent ?? '/opt/haup/haup-agent.cjs', 'run', '-f', t.paths.config] : ['keepalived', '-f', t.paths.config, '-p', t.paths.pidfile];
}

/**
 * Starts the daemon unless it runs: systemd when the unit exists, else as the lab and `haup deploy` run it
 * without systemd (its own session, output appended to its log), with the command line it ran with before.
 * A daemon told to stop may take a while to exit (keepalived does): first wait up to `waitGoneMs` for
 * `oldPid` to be gone, so it is not mistaken for a running one. A stale status file is removed first so
 * nobody reads the dead agent's state. Prints `pid=` and `started=`.
 */
export function daemonStartScript(t: DaemonTarget, argv: readonly string[] | null, old: { pids: readonly number[]; waitGoneMs: number } = { pids: [], waitGoneMs: 0 }): string {
  const args = argv && argv.length > 0 ? argv : defaultDaemonArgv(t);
  const pids = old.pids.filter((p) => Number.isInteger(p) && p > 0);
  const lines = [
    `${MARK} restore daemon`,
    ...prelude(t.paths),
    `LOG=${q(t.paths.log ?? '/var/log/keepalived-haup.log')}`,
    // Gone means reaped, not just dead: keepalived takes a zombie in its pidfile for a running daemon.
    ...(pids.length > 0 && old.waitGoneMs > 0
      ? [`n=0; for o in ${pids.join(' ')}; do while [ -e "/proc/$o" ] && [ $n -lt ${Math.ceil(old.waitGoneMs / 20)} ]; do n=$((n+1)); sleep 0.02; done; done`]
      : []),
    'p=$(cur)',
    'if alive "$p"; then echo "pid=$p"; echo started=no; exit 0; fi',
    `if [ -d /run/systemd/system ] && systemctl cat ${unit(t)} >/dev/null 2>&1; then`,
    `  systemctl start ${unit(t)} || { systemctl status --no-pager -n 20 ${unit(t)} >&2; exit ${EXIT_START_FAILED}; }`,
    `  echo "pid=$(systemctl show -p MainPID --value ${unit(t)})"; echo started=systemd; exit 0`,
    'fi',
    'if [ -n "$STATE" ]; then rm -f "$STATE"; fi',
    'mkdir -p "$(dirname "$PIDF")" "$(dirname "$LOG")"',
    // setsid execs the daemon in a new session (a background job of a non-interactive shell is not a group
    // leader, so no fork): $! is the daemon's pid and it outlives this SSH session.
    `cd / && setsid ${args.map(q).join(' ')} </dev/null >>"$LOG" 2>&1 &`,
    'echo "pid=$!"; echo started=setsid',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Waits on the node until it holds every VIP and, for the haup agent, its status file reports MASTER (read
 * first, with builtins, so a tick forks only `sleep` until then); or until it holds none (`release`); or the
 * timeout, measured on /proc/uptime (no fork; ticks get slower on a loaded node). Polls every 20 ms, then
 * prints `met=`, `seen=` (its clock when the condition held) and the node's facts.
 */
export function waitVipsScript(t: DaemonTarget, vips: readonly string[], want: 'hold' | 'release', timeoutMs: number): string {
  const master = t.engine === 'haup' && want === 'hold';
  const lines = [
    `${MARK} wait ${want}`,
    ...prelude(t.paths),
    `VIPS=${q(vips.join(' '))}`,
    'has() { case "$a" in *" inet $1/"*|*" inet6 $1/"*) return 0 ;; esac; return 1; }',
    'holds() { a=$(exec ip -o addr show 2>/dev/null); for v in $VIPS; do has "$v" || return 1; done; return 0; }',
    'releases() { a=$(exec ip -o addr show 2>/dev/null); for v in $VIPS; do has "$v" && return 1; done; return 0; }',
    // The status file is pretty-printed JSON: one `"state": "MASTER"` line per MASTER instance.
    `says_master() { ${master ? '[ -r "$STATE" ] || return 1; while IFS= read -r l; do case "$l" in *\'"state": "MASTER"\'*) return 0 ;; esac; done < "$STATE" 2>/dev/null; return 1' : 'return 0'}; }`,
    // /proc/uptime "12345.67 ...": centiseconds since boot, read without a fork.
    `read -r u _ < /proc/uptime; end=$(( \${u%.*}\${u#*.} + ${Math.max(1, Math.ceil(timeoutMs / 10))} ))`,
    'met=0',
    'while :; do',
    `  if ${want === 'hold' ? 'says_master && holds' : 'releases'}; then met=1; break; fi`,
    '  read -r u _ < /proc/uptime; [ "${u%.*}${u#*.}" -ge "$end" ] && break',
    '  sleep 0.02',
    'done',
    'echo "seen=$(now)"; echo "met=$met"',
    ...factsLines(),
  ];
  return `${lines.join('\n')}\n`;
}

/** What an induce script printed. */
export interface InduceOutput {
  pid: number | null;
  /** The daemon's children when it was killed (keepalived's VRRP and checker processes). */
  kids: number[];
  argv: string[] | null;
  how: string | null;
  exe: string | null;
  /** The node's clock right before the failure (epoch ms). */
  clockMs: number | null;
}

export function parseInduceOutput(out: string): InduceOutput {
  const lines = out.split('\n');
  const argv = section(lines, 'argv');
  const pid = value(lines, 'pid');
  return {
    pid: pid && /^\d+$/.test(pid) ? Number(pid) : null,
    kids: (value(lines, 'kids') ?? '').split(/\s+/).filter((k) => /^\d+$/.test(k)).map(Number),
    argv: argv ? argv.split('\n').filter((a) => a !== '') : null,
    how: value(lines, 'how'),
    exe: value(lines, 'exe'),
    clockMs: parseClock(value(lines, 'clock')),
  };
}

export interface WaitOutput {
  met: boolean;
  seenMs: number | null;
}

export function parseWaitOutput(out: string): WaitOutput {
  const lines = out.split('\n');
  return { met: value(lines, 'met') === '1', seenMs: parseClock(value(lines, 'seen')) };
}

/** `pid=` and `started=` from daemonStartScript. */
export function parseStartOutput(out: string): { pid: number | null; started: string | null } {
  const lines = out.split('\n');
  const pid = value(lines, 'pid');
  return { pid: pid && /^\d+$/.test(pid) && pid !== '0' ? Number(pid) : null, started: value(lines, 'started') };
}

/** Which script causes a mode's failure. */
export function failureScript(mode: FailureMode, t: DaemonTarget, s: ServiceTarget | null): string {
  if (mode === 'check') {
    if (s === null) throw new Error('check mode needs the guarded service');
    return serviceFailureScript(t, s);
  }
  return daemonFailureScript(t, mode);
}
