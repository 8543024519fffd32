// The POSIX sh scripts a deploy runs on a node to start, reload, restart, roll back and watch the VRRP daemon
// (the haup agent or keepalived; under systemd, or as a supervised background daemon with a pidfile). Pure:
// each function returns script text; every value in it is quoted. Each script is one round trip.
import type { EnginePaths, Engine } from '../inventory/model.js';
import { NOTIFY_FD_ENV, statusWakeFifo } from '../../agent/status.js';
import { shellQuote as q } from '../transport/remote-script.js';

export type Action = 'start' | 'reload' | 'restart';

export interface DaemonSpec {
  engine: Engine;
  init: 'systemd' | 'none';
  paths: EnginePaths;
  /** `node` on the node (haup engine without systemd). */
  nodePath: string;
  /** `keepalived` on the node (keepalived engine). */
  keepalivedPath: string;
  /**
   * The shell the scripts run in: bash when the node has it (its `read -t` sleeps without a fork), else sh. On a
   * busy node every `sleep 0.02` is a fork and an exec; 40 hosts polling that way kept 2 cores busy (issue 4).
   */
  shell?: string;
  /** The FIFO bash naps on (default NAP_FIFO). */
  napFifo?: string;
}

/** The argv that runs a script of this module on the node. */
export function scriptCommand(spec: DaemonSpec, script: string): string[] {
  return [spec.shell ?? 'sh', '-c', script];
}

/** Exit codes of the service script, so the caller can say what went wrong. */
export const EXIT_CHECK_FAILED = 3;
export const EXIT_NOT_RUNNING = 4;
export const EXIT_STOP_FAILED = 5;
export const EXIT_START_FAILED = 6;

/** The FIFO the scripts' bash `nap` reads from with a timeout (made once per boot; nothing ever writes to it). */
export const NAP_FIFO = '/run/haup-deploy.nap';

/** The first line of every script names it: readable in `ps`, and memory-transport tests dispatch on it. */
export const MARK = '# haup-deploy';

/** Where the daemon logs when systemd (journald) does not take its output. */
export function logFile(spec: DaemonSpec): string {
  return spec.paths.log ?? '/var/log/keepalived-haup.log';
}

function unitName(spec: DaemonSpec): string {
  return `${spec.paths.service}.service`;
}

/** Shell functions every script shares: pid liveness without forks (a zombie counts as gone). */
function prelude(spec: DaemonSpec): string[] {
  return [
    'set -u',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH',
    `PIDF=${q(spec.paths.pidfile)}`,
    `CONF=${q(spec.paths.config)}`,
    `LOG=${q(logFile(spec))}`,
    `STATE=${q(spec.paths.stateFile ?? '')}`,
    'NP=',
    // /proc/PID/stat: "pid (comm) S ..."; state Z (zombie, not yet reaped) or X means the process is gone.
    'alive() { [ -n "$1" ] || return 1; s=; { read -r s < "/proc/$1/stat"; } 2>/dev/null || return 1; case "$s" in *") Z "*|*") X "*) return 1 ;; esac; return 0; }',
    // cur sets $c to the pidfile's pid. Like everything here it avoids $(...): each command substitution is a fork,
    // and forks are what a busy node (or 40 lab hosts on 2 cores) runs out of.
    'cur() { c=; { read -r c < "$PIDF"; } 2>/dev/null; }',
    // Monotonic centiseconds from /proc/uptime, without a fork ("1" keeps "09" from reading as octal): deadlines
    // must hold on a loaded host, where each `sleep 0.02` may take far longer than 20 ms.
    'now() { u=; read -r u rest < /proc/uptime; t=$(( ${u%.*} * 100 + 1${u#*.} - 100 )); }',
    // nap SECONDS: under bash, a read with a timeout on a FIFO (opened read-write, so it never sees EOF): no fork per
    // nap, and none per script either (a process substitution would fork); sh forks `sleep`. For the haup agent the
    // FIFO is the wake FIFO the agent makes next to its status file and writes a line to after each status write: a
    // nap on it ends at the change (WOKE=1), so a wait can nap long. Until the agent has made it (a first start),
    // the plain nap FIFO (made once per boot), which only an agent started by this script writes to: once, as its
    // readiness descriptor (start_daemon).
    `NAPF=${q(spec.napFifo ?? NAP_FIFO)}`,
    `WAKEF=${q(spec.engine === 'haup' && spec.paths.stateFile ? statusWakeFifo(spec.paths.stateFile) : '')}`,
    // WOKE=1: napping on the agent's wake FIFO; NOTIFY=1: on a FIFO the agent this script started will write to.
    'NAPFD=; WOKE=0; NOTIFY=0',
    'wakeopen() { [ -n "${BASH_VERSION:-}" ] && [ -n "$WAKEF" ] && [ -p "$WAKEF" ] && exec 9<>"$WAKEF" && NAPFD=9 && WOKE=1; }',
    'napopen() { NAPFD=-; [ -n "${BASH_VERSION:-}" ] || return 0; wakeopen && return 0; if { [ -p "$NAPF" ] || mkfifo -m 600 "$NAPF"; } 2>/dev/null && exec 9<>"$NAPF"; then NAPFD=9; fi; }',
    'nap() { [ -n "$NAPFD" ] || napopen; if [ "$NAPFD" = 9 ]; then read -r -t "$1" -u 9 _ || :; else sleep "$1"; fi; }',
  ];
}

/** The daemon's check of the rendered config, run before a reload or restart touches the running daemon. */
function checkLines(spec: DaemonSpec): string[] {
  if (spec.engine === 'keepalived') {
    return [`${q(spec.keepalivedPath)} -t -f "$CONF" >&2 || { echo "haup: keepalived -t rejected $CONF" >&2; exit ${EXIT_CHECK_FAILED}; }`];
  }
  return [
    `${q(spec.nodePath)} ${q(spec.paths.agent ?? '')} check "$CONF" >/dev/null 2>&1 || { ${q(spec.nodePath)} ${q(spec.paths.agent ?? '')} check "$CONF" >&2; echo "haup: haup-agent check rejected $CONF" >&2; exit ${EXIT_CHECK_FAILED}; }`,
  ];
}

/** stop_daemon: SIGTERM (the daemon sends priority 0 and releases its VIPs), wait until gone, SIGKILL after 10 s. */
function supervisedFunctions(spec: DaemonSpec): string[] {
  const agentRun = `${q(spec.nodePath)} ${q(spec.paths.agent ?? '')} run -f "$CONF" </dev/null >>"$LOG" 2>&1`;
  const start =
    spec.engine === 'haup'
      ? [
          // setsid runs the agent in its own session (no fork: a background job of a non-interactive shell is
          // not a group leader), so $! is the agent's pid and it outlives this SSH session.
          // The tests before mkdir and rm save two processes on a first start (each costs milliseconds on a busy host);
          // the agent makes its own run directory (pidfile, status), so after a reboot there is nothing to make.
          // Under bash the agent gets the FIFO the wait naps on as its readiness descriptor (NOTIFY_FD_ENV): it writes
          // a line there after its first status write, so the wait below sleeps until then instead of polling.
          `start_daemon() { [ -d "\${LOG%/*}" ] || mkdir -p "\${LOG%/*}"; if [ -e "$STATE" ]; then rm -f "$STATE"; fi; [ -n "$NAPFD" ] || napopen; if [ "$NAPFD" = 9 ]; then ${NOTIFY_FD_ENV}=9 setsid ${agentRun} & NOTIFY=1; else setsid ${agentRun} 9<&- & fi; NP=$!; echo "pid=$NP"; }`,
        ]
      : [
          // keepalived daemonizes itself and writes its pidfile; wait up to 5 s for a live pid in it.
          `start_daemon() { rm -f "$PIDF"; mkdir -p "\${LOG%/*}"; ${q(spec.keepalivedPath)} -f "$CONF" -p "$PIDF" -l -D </dev/null >>"$LOG" 2>&1 9<&- || { echo "haup: keepalived exited with $?" >&2; exit ${EXIT_START_FAILED}; }; now; end=$((t + 500)); while :; do cur; p=$c; alive "$p" && break; now; [ $t -ge $end ] && { echo "haup: keepalived did not write a live pid to $PIDF within 5 s" >&2; tail -n 20 "$LOG" >&2; exit ${EXIT_START_FAILED}; }; nap 0.02; done; NP=$p; echo "pid=$NP"; }`,
        ];
  return [
    ...start,
    `stop_daemon() { cur; p=$c; alive "$p" || return 0; kill -TERM "$p" 2>/dev/null; now; kill_at=$((t + 1000)); give_up=$((t + 1500)); while alive "$p"; do now; if [ -n "$kill_at" ] && [ $t -ge $kill_at ]; then kill_at=; echo "haup: pid $p did not stop within 10 s of SIGTERM; sending SIGKILL" >&2; kill -KILL "$p" 2>/dev/null; fi; if [ $t -ge $give_up ]; then echo "haup: pid $p survives SIGKILL" >&2; exit ${EXIT_STOP_FAILED}; fi; nap 0.02; done; }`,
    `reload_daemon() { cur; p=$c; alive "$p" || { echo "haup: the daemon is not running (no live pid in $PIDF)" >&2; exit ${EXIT_NOT_RUNNING}; }; kill -HUP "$p"; NP=$p; echo "pid=$NP"; }`,
  ];
}

function systemdFunctions(spec: DaemonSpec): string[] {
  const unit = q(unitName(spec));
  const pid = `NP=$(systemctl show -p MainPID --value ${unit}); echo "pid=$NP"`;
  return [
    `start_daemon() { rm -f "$STATE"; systemctl enable --quiet ${unit} && systemctl restart ${unit} || { systemctl status --no-pager -n 20 ${unit} >&2; exit ${EXIT_START_FAILED}; }; ${pid}; }`,
    `stop_daemon() { systemctl stop ${unit} || exit ${EXIT_STOP_FAILED}; }`,
    `reload_daemon() { systemctl is-active --quiet ${unit} || { echo "haup: ${unitName(spec)} is not active" >&2; exit ${EXIT_NOT_RUNNING}; }; systemctl reload ${unit} || exit ${EXIT_NOT_RUNNING}; ${pid}; }`,
  ];
}

function functions(spec: DaemonSpec): string[] {
  return spec.init === 'systemd' ? systemdFunctions(spec) : supervisedFunctions(spec);
}

/**
 * stop_rival and start_rival: the other engine's daemon (keepalived when deploying the haup agent, or the reverse),
 * stopped before this engine starts and started again by a rollback. Supervised: its own start_daemon/stop_daemon
 * over R_-prefixed paths; under systemd its unit is disabled (and re-enabled), so a reboot does not bring it back.
 */
function rivalFunctions(rival: DaemonSpec): string[] {
  const vars = [
    `R_PIDF=${q(rival.paths.pidfile)}`,
    `R_CONF=${q(rival.paths.config)}`,
    `R_LOG=${q(logFile(rival))}`,
    `R_STATE=${q(rival.paths.stateFile ?? '')}`,
    'rcur() { c=; { read -r c < "$R_PIDF"; } 2>/dev/null; }',
  ];
  const renamed = supervisedFunctions(rival)
    .filter((f) => !f.startsWith('reload_daemon'))
    .map((f) =>
      f
        .replace(/^start_daemon\(\)/, 'start_rival_by_pid()')
        .replace(/^stop_daemon\(\)/, 'stop_rival_by_pid()')
        .replace(/\$\{?(PIDF|CONF|LOG|STATE)\b/g, (m) => m.replace(/(PIDF|CONF|LOG|STATE)/, 'R_$1'))
        .replace(/\bcur; /g, 'rcur; '),
    );
  if (rival.init !== 'systemd') return [...vars, ...renamed, 'stop_rival() { stop_rival_by_pid; }', 'start_rival() { start_rival_by_pid; }'];
  const unit = q(unitName(rival));
  return [
    ...vars,
    ...renamed,
    // A keepalived started by hand next to its unit is stopped by its pidfile as well.
    `stop_rival() { if systemctl is-enabled --quiet ${unit} 2>/dev/null || systemctl is-active --quiet ${unit}; then systemctl disable --now --quiet ${unit} || exit ${EXIT_STOP_FAILED}; fi; stop_rival_by_pid; }`,
    `start_rival() { systemctl enable --now --quiet ${unit} || { systemctl status --no-pager -n 20 ${unit} >&2; exit ${EXIT_START_FAILED}; }; }`,
  ];
}

/**
 * Starts, reloads or restarts the daemon; prints `pid=N`. Reload and restart first check the new config with the
 * daemon itself (`haup-agent check`, `keepalived -t`), so a bad config never stops or confuses a running daemon.
 * keepalived is also checked before a first start (it would daemonize and then die quietly).
 */
export function serviceScript(
  spec: DaemonSpec,
  action: Action,
  opts: { daemonReload: boolean; rival?: DaemonSpec | undefined; wait?: Omit<WaitOptions, 'pid' | 'delayMs' | 'logMark'> | undefined },
): string {
  const rival = opts.rival && action !== 'reload' ? opts.rival : undefined;
  const lines = [`${MARK} service ${spec.engine} ${action}`, ...prelude(spec), ...functions(spec), ...(rival ? rivalFunctions(rival) : [])];
  if (opts.daemonReload && spec.init === 'systemd') lines.push('systemctl daemon-reload');
  if (action !== 'start' || spec.engine === 'keepalived') lines.push(...checkLines(spec));
  // Where this run's log lines begin, so a failure shows only what the new (or reloaded) daemon said: a mark line
  // in the log (builtins only; pid and clock make it unique on the host), printed as logmark= for later waits.
  // No log directory yet (a first start): no mark, and every line is this run's.
  const logoff =
    spec.init === 'systemd'
      ? []
      : [`now; LOGMARK="haup-deploy $$.$t"; if { printf '%s: ${action}\n' "$LOGMARK" >> "$LOG"; } 2>/dev/null; then echo "logmark=$LOGMARK"; else LOGMARK=; fi`];
  // The other engine stops (sending priority 0, releasing its VIPs) before this one starts.
  const stopRival = rival ? ['stop_rival', 'echo rival-stopped'] : [];
  if (action === 'start') lines.push(...stopRival, ...logoff, 'start_daemon');
  else if (action === 'reload') lines.push(...logoff, 'reload_daemon');
  else lines.push('stop_daemon', ...stopRival, ...logoff, 'start_daemon');
  // The first wait for the daemon runs in the same script: one round trip (and one shell) less per host. It watches
  // the new pid (systemd's MainPID 0, "not running", watches none).
  if (opts.wait) lines.push('echo wait-begin', ...waitLines(spec, opts.wait, '"${NP#0}"'));
  return `${lines.join('\n')}\n`;
}

export interface RollbackFile {
  path: string;
  /** The file existed before this deploy: its previous version is at path + backupSuffix. */
  existed: boolean;
}

/**
 * Puts the previous files back (or removes files this deploy created) and returns the daemon to how it was:
 * running the previous files if it ran before (reloaded when it survived a failed reload, else restarted),
 * stopped if it did not. Prints `pid=N` when it leaves a daemon running.
 */
export function rollbackScript(
  spec: DaemonSpec,
  files: readonly RollbackFile[],
  opts: { backupSuffix: string; wasRunning: boolean; failedAction: Action; daemonReload: boolean; rival?: DaemonSpec | undefined },
): string {
  const lines = [`${MARK} rollback ${spec.engine}`, ...prelude(spec), ...functions(spec), ...(opts.rival ? rivalFunctions(opts.rival) : [])];
  for (const f of files) {
    const prev = q(f.path + opts.backupSuffix);
    lines.push(f.existed ? `if [ -f ${prev} ]; then mv -fT -- ${prev} ${q(f.path)}; fi` : `rm -f -- ${q(f.path)}`);
  }
  if (opts.daemonReload && spec.init === 'systemd') lines.push('systemctl daemon-reload');
  if (!opts.wasRunning) {
    lines.push(spec.init === 'systemd' ? `stop_daemon; systemctl disable --quiet ${q(unitName(spec))} 2>/dev/null; :` : 'stop_daemon');
  } else if (opts.failedAction === 'reload') {
    lines.push(
      spec.init === 'systemd'
        ? `if systemctl is-active --quiet ${q(unitName(spec))}; then reload_daemon; else start_daemon; fi`
        : 'cur; if alive "$c"; then reload_daemon; else start_daemon; fi',
    );
  } else {
    lines.push('stop_daemon', 'start_daemon');
  }
  // This deploy stopped the other engine's daemon: it runs again, as it did before (its pid is not ours to report).
  if (opts.rival) lines.push('start_rival >/dev/null');
  return `${lines.join('\n')}\n`;
}

export interface WaitOptions {
  /** Return as soon as the observed value differs from this one ('' = return once there is any). */
  previous: string;
  /** Return at once when this pid dies ('' = do not watch a pid). */
  pid: number | null;
  timeoutMs: number;
  /** Wait this long before the first look (the caller knows a transition cannot come earlier). */
  delayMs?: number;
  /** The mark line the service script wrote to the log: a failure shows only the lines after it (null: the last 20). */
  logMark?: string | null;
  /**
   * haup agent: what counts as a change. 'updated' (default): any rewrite of the status file (its updatedAt line);
   * 'states': only the instances' state and vipsHeld lines (`previous` from statesKey), so a poll for a transition
   * does not come back for a rewrite that only updated counters.
   */
  observe?: 'updated' | 'states';
}

/**
 * Waits until the daemon's observable state changes, its pid dies, or the timeout, then prints it. haup agent:
 * the status file's "updatedAt" line (builtins only: a 20 ms nap per tick, no fork under bash); keepalived: `ip -o addr`.
 * Output sections: alive=, pidfile=, observed=, state-begin..state-end, addr-begin..addr-end, log-begin..log-end.
 */
export function waitScript(spec: DaemonSpec, opts: WaitOptions): string {
  const watch = opts.pid === null ? "''" : String(opts.pid);
  return `${[`${MARK} wait ${spec.engine}`, ...prelude(spec), ...waitLines(spec, opts, watch)].join('\n')}\n`;
}

/** The wait loop and its report (see waitScript); `watch` is the shell word for the pid to watch ('' for none). */
function waitLines(spec: DaemonSpec, opts: Omit<WaitOptions, 'pid'>, watch: string): string[] {
  const timeoutCs = Math.max(1, Math.ceil(opts.timeoutMs / 10));
  // observe sets o (printed as observed) and k (compared with PREV). `$(exec ...)`: see factsScript (one fork, not two).
  const observe =
    spec.engine !== 'haup'
      ? 'observe() { o=$(exec ip -o addr show 2>/dev/null); k=$o; }'
      : opts.observe === 'states'
        ? 'observe() { o=; k=; [ -r "$STATE" ] || return 0; while IFS= read -r l; do case "$l" in *\'"updatedAt"\'*) o=$l ;; *\'"state":\'*|*\'"vipsHeld":\'*) k="$k$l|" ;; esac; done < "$STATE"; }'
        : 'observe() { o=; k=; [ -r "$STATE" ] || return 0; while IFS= read -r l; do case "$l" in *\'"updatedAt"\'*) o=$l; break ;; esac; done < "$STATE"; k=$o; }';
  const log =
    spec.init === 'systemd'
      ? `journalctl -u ${q(unitName(spec))} -n 20 --no-pager 2>/dev/null`
      : // The lines after the last mark of this run (looked for in the last 2000 lines), else the last 20.
        'tail -n 2000 "$LOG" 2>/dev/null | awk -v m="${LOGMARK:-}" \'m != "" && index($0, m) == 1 { n = 0; next } { l[n++] = $0 } END { for (i = n > 20 ? n - 20 : 0; i < n; i++) print l[i] }\'';
  return [
    ...(opts.logMark === undefined ? [] : [`LOGMARK=${q(opts.logMark ?? '')}`]),
    `PREV=${q(opts.previous)}`,
    `WATCH=${watch}`,
    observe,
    ...(opts.delayMs && opts.delayMs > 0 ? [`nap ${(opts.delayMs / 1000).toFixed(3)}`] : []),
    // Woken by the agent (see prelude and start_daemon): a look every 0.25 s only to notice a dead pid. Otherwise
    // 20 ms ticks for the first half second (a start or reload answers within it), then 50 ms: 40 hosts polling
    // every 20 ms on 2 shared cores cost a third of a core even without forks. The wake FIFO is opened before a
    // look, so a change after that look always wakes the nap.
    '[ -n "$NAPFD" ] || napopen',
    'now; end=$((t + ' + String(timeoutCs) + ')); fast=$((t + 50))',
    'while :; do',
    // The agent's wake FIFO may appear while this waits (a first start): from then on, wake on its changes.
    '  [ $WOKE = 1 ] || wakeopen || :',
    '  observe',
    '  if [ -n "$k" ] && [ "$k" != "$PREV" ]; then break; fi',
    '  if [ -n "$WATCH" ] && ! alive "$WATCH"; then break; fi',
    '  now; [ $t -ge $end ] && break',
    '  if [ $WOKE = 1 ] || [ $NOTIFY = 1 ]; then r=$((end - t)); [ $r -gt 25 ] && r=25; [ $r -lt 10 ] && r=0$r; nap 0.$r; elif [ $t -lt $fast ]; then nap 0.02; else nap 0.05; fi',
    'done',
    'cur; p=$c',
    'if alive "$p"; then echo "pidfile=$p alive"; else echo "pidfile=$p dead"; fi',
    'if [ -n "$WATCH" ]; then if alive "$WATCH"; then echo "watch=$WATCH alive"; else echo "watch=$WATCH dead"; fi; fi',
    'echo observed-begin; printf "%s\\n" "$o"; echo observed-end',
    // The agent's status says who is MASTER; keepalived's only sign is the VIPs on the interface.
    ...(spec.engine === 'haup'
      ? ['echo state-begin; if [ -r "$STATE" ]; then while IFS= read -r l || [ -n "$l" ]; do printf \'%s\\n\' "$l"; done < "$STATE"; fi; echo state-end']
      : ['echo addr-begin; ip -j addr show 2>/dev/null; echo; echo addr-end']),
    `if { [ -n "$WATCH" ] && ! alive "$WATCH"; } || ! alive "$p"; then echo log-begin; ${log}; echo log-end; fi`,
  ];
}

export interface WaitOutput {
  pidfilePid: number | null;
  pidfileAlive: boolean;
  /** The watched pid's liveness, when one was watched. */
  watchAlive: boolean | null;
  observed: string;
  state: string | null;
  addresses: string | null;
  log: string[];
}

function section(lines: readonly string[], name: string, opts: { trim: boolean } = { trim: true }): string | null {
  const start = lines.indexOf(`${name}-begin`);
  if (start < 0) return null;
  const end = lines.indexOf(`${name}-end`, start + 1);
  const text = lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
  return opts.trim ? text.trim() : text;
}

export function parseWaitOutput(out: string): WaitOutput {
  const lines = out.split('\n');
  const pidLine = lines.find((l) => l.startsWith('pidfile='));
  const watchLine = lines.find((l) => l.startsWith('watch='));
  const pm = pidLine ? /^pidfile=(\d*) (alive|dead)$/.exec(pidLine) : null;
  const state = section(lines, 'state');
  const log = section(lines, 'log');
  return {
    pidfilePid: pm && pm[1] ? Number(pm[1]) : null,
    pidfileAlive: pm?.[2] === 'alive',
    watchAlive: watchLine ? watchLine.endsWith(' alive') : null,
    // Verbatim: the next wait compares it byte for byte with what the node sees.
    observed: section(lines, 'observed', { trim: false }) ?? '',
    state: state === '' ? null : state,
    addresses: section(lines, 'addr') || null,
    log: log ? log.split('\n') : [],
  };
}

/** `logmark=MARK` from a service script's output: the line it wrote to the log before the action. */
export function parseLogMark(out: string): string | null {
  const m = /^logmark=(haup-deploy [0-9.]+)$/m.exec(out);
  return m ? m[1]! : null;
}

/** `pid=N` from a service or rollback script's output. */
export function parsePid(out: string): number | null {
  const m = /^pid=(\d+)$/m.exec(out);
  return m && Number(m[1]) > 0 ? Number(m[1]) : null;
}
