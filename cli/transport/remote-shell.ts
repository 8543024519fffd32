// One long-lived bash per SSH connection that runs the shell scripts haup sends, one at a time, each in a subshell.
// A command on its own session channel costs the host an sshd session process, the login shell and the script's
// shell (~35-50 ms of CPU each time on a small VM, most of a no-op deploy's cost); through this shell a script costs
// one fork. The SSH keeper keeps connections, and so this shell, from one haup run to the next.
//
// Wire format on the channel. haup -> host: "<id> <shell> <bytes>\n" then the script's bytes. Host -> haup: the
// script's stdout then "\n<id> <exit code>\n" on stdout, and its stderr then "\n<id>\n" on stderr (<id> is random per
// script, so no output can fake the end). Scripts get /dev/null as stdin; scripts with stdin data, sudo or anything
// but `sh -c` / `bash -c` take a channel of their own, as before.
import { randomBytes } from 'node:crypto';
import type { ClientChannel } from 'ssh2';
import { shellQuote } from './remote-script.js';
import type { Command } from './transport.js';

/**
 * The server loop. LC_ALL=C makes `read -N` count bytes. Each script runs in a fork of the loop with the caller's
 * locale, exec'd as `SHELL -c SCRIPT` (so $$, $0 and sh's own semantics are what a channel of its own would give it),
 * or, for haup's own scripts (shell "="), eval'd in the fork itself. Shell "." is for haup scripts written to run in
 * the loop itself, without a fork (the deploy facts, once per host and run: the fork was a third of their cost):
 * they run in a function whose shell options (`local -`, bash >= 4.4; older bash forks after all) and whose
 * variables (the script declares them local when __haup_inplace is set) end with it, under LC_ALL=C, and must not
 * `exit`. __haup_umask lets such a script put back a umask it changed.
 */
const SERVER = [
  '__haup_l=${LC_ALL-__unset}; export LC_ALL=C; __haup_umask=$(umask)',
  'if [ "${BASH_VERSINFO[0]}" -gt 4 ] || { [ "${BASH_VERSINFO[0]}" -eq 4 ] && [ "${BASH_VERSINFO[1]}" -ge 4 ]; }; then',
  '  __haup_ip() { local -; local __haup_inplace=1; eval "$__haup_s"; }',
  'else __haup_ip() { ( unset __haup_umask; eval "$__haup_s" ); }; fi',
  "printf 'haup-shell ready\\n'",
  'while IFS= read -r __haup_h; do',
  '  __haup_i=${__haup_h%% *}; __haup_h=${__haup_h#* }; __haup_x=${__haup_h%% *}; __haup_n=${__haup_h#* }',
  '  IFS= read -r -N "$__haup_n" __haup_s || exit 0',
  '  if [ "$__haup_x" = . ]; then __haup_ip </dev/null',
  '  else ( if [ "$__haup_l" = __unset ]; then unset LC_ALL; else LC_ALL=$__haup_l; fi; unset __haup_c __haup_h __haup_i __haup_n __haup_l __haup_umask; unset -f __haup_ip',
  '    if [ "$__haup_x" = = ]; then unset __haup_x; eval "unset __haup_s; $__haup_s"; else exec "$__haup_x" -c "$__haup_s"; fi ) </dev/null; fi',
  '  __haup_c=$?',
  "  printf '\\n%s %s\\n' \"$__haup_i\" \"$__haup_c\"; printf '\\n%s\\n' \"$__haup_i\" >&2",
  'done',
].join('\n');

const READY = 'haup-shell ready\n';
const NO_BASH = 'haup-shell no-bash';

/** What the login shell runs: bash when there is one (a builtin test, no fork), else a line that says so. */
export const SHELL_COMMAND = `if command -v bash >/dev/null 2>&1; then exec bash --norc --noprofile -c ${shellQuote(SERVER)}; fi; echo '${NO_BASH}'`;

/**
 * The shell and script of `SHELL -c SCRIPT` (a string command is `sh -c` it), else null. haup's own scripts (`own`)
 * get the shell "=": run by the loop's bash in its fork; `own: 'in-place'` the shell ".": in the loop itself.
 */
export function shellScript(cmd: Command, own: boolean | 'in-place' = false): { shell: string; script: string } | null {
  const mine = own === 'in-place' ? '.' : own ? '=' : null;
  if (typeof cmd === 'string') return { shell: mine ?? 'sh', script: cmd };
  if (cmd.length !== 3 || cmd[1] !== '-c' || !/^[A-Za-z0-9_./-]+$/.test(cmd[0]!)) return null;
  const base = cmd[0]!.slice(cmd[0]!.lastIndexOf('/') + 1);
  return base === 'sh' || base === 'bash' || base === 'dash' ? { shell: mine ?? cmd[0]!, script: cmd[2]! } : null;
}

export interface ShellResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** The request line and body for one script. */
export function request(id: string, shell: string, script: string): Buffer {
  const body = Buffer.from(script, 'utf8');
  return Buffer.concat([Buffer.from(`${id} ${shell} ${body.length}\n`), body]);
}

/**
 * Where one script's output ends in what the shell sent so far: stdout must end with "\n<id> <code>\n" and stderr
 * with "\n<id>\n"; the "\n" before each marker is the shell's, not the script's. Null until both have ended.
 */
export function parseReply(id: string, stdout: Buffer, stderr: Buffer): ShellResult | null {
  const errEnd = Buffer.from(`\n${id}\n`);
  if (stderr.length < errEnd.length || !stderr.subarray(stderr.length - errEnd.length).equals(errEnd)) return null;
  const tail = stdout.subarray(Math.max(0, stdout.length - 64)).toString('latin1');
  const m = new RegExp(`\\n${id} (\\d+)\\n$`).exec(tail);
  if (!m) return null;
  const cut = tail.length - m.index;
  return { code: Number(m[1]), stdout: stdout.subarray(0, stdout.length - cut), stderr: stderr.subarray(0, stderr.length - errEnd.length) };
}

type Pending = {
  id: string;
  out: Buffer[];
  err: Buffer[];
  /** The last bytes of each stream: enough to see the end markers without joining all output on every chunk. */
  outTail: Buffer;
  errTail: Buffer;
  resolve: (r: ShellResult) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
};

const TAIL_BYTES = 64;

/**
 * The shell on one channel. `state`: starting until the greeting, then idle or busy; gone once the channel closed
 * (or there is no bash), after which the transport uses plain channels again.
 */
export class RemoteShell {
  state: 'starting' | 'idle' | 'busy' | 'gone' = 'starting';
  /** Set when the host has no bash: the transport stops trying. */
  unsupported = false;
  private channel: ClientChannel | null = null;
  private greeting: Buffer[] = [];
  private pending: Pending | null = null;
  private readonly ready: Promise<boolean>;
  private settleReady: (ok: boolean) => void = () => undefined;

  constructor(start: (line: string, attach: (ch: ClientChannel) => void) => Promise<void>, greetingTimeoutMs = 10_000) {
    this.ready = new Promise((resolve) => (this.settleReady = resolve));
    // A login shell that never greets (a ForceCommand, a menu) must not hold the first command forever.
    const timer = setTimeout(() => {
      if (this.state === 'starting') this.close();
    }, greetingTimeoutMs);
    timer.unref();
    void this.ready.then(() => clearTimeout(timer));
    start(SHELL_COMMAND, (ch) => this.attach(ch)).catch(() => this.gone());
  }

  /** Whether a script can be sent now (waits for the greeting of a starting shell). */
  async available(): Promise<boolean> {
    if (this.state === 'starting') await this.ready;
    return this.state === 'idle';
  }

  run(shell: string, script: string, timeoutMs: number | undefined, onTimeout: () => Error): Promise<ShellResult> {
    const ch = this.channel;
    if (this.state !== 'idle' || !ch) return Promise.reject(new Error('the shell is not idle'));
    this.state = 'busy';
    const id = randomBytes(8).toString('hex');
    return new Promise<ShellResult>((resolve, reject) => {
      const p: Pending = { id, out: [], err: [], outTail: Buffer.alloc(0), errTail: Buffer.alloc(0), resolve, reject };
      if (timeoutMs !== undefined) {
        p.timer = setTimeout(() => {
          this.pending = null;
          reject(onTimeout());
          this.close(); // the script may still run; this shell is not reused
        }, timeoutMs);
      }
      this.pending = p;
      ch.write(request(id, shell, script));
    });
  }

  close(): void {
    const ch = this.channel;
    this.gone();
    if (ch) {
      try {
        ch.signal('KILL');
      } catch {
        // an sshd without signal support: closing the channel is enough
      }
      ch.close();
    }
  }

  private attach(ch: ClientChannel): void {
    if (this.state === 'gone') return void ch.close(); // gave up on it before the channel opened
    this.channel = ch;
    ch.on('data', (d: Buffer) => this.onData('out', d));
    ch.stderr.on('data', (d: Buffer) => this.onData('err', d));
    ch.on('close', () => this.gone());
  }

  private onData(stream: 'out' | 'err', d: Buffer): void {
    if (this.state === 'starting') {
      if (stream === 'err') return; // rc-file noise before the greeting
      this.greeting.push(d);
      const text = Buffer.concat(this.greeting).toString('latin1');
      if (text.endsWith(READY) && (text.length === READY.length || text.endsWith(`\n${READY}`))) {
        this.greeting = [];
        this.state = 'idle';
        this.settleReady(true);
      } else if (text.includes(NO_BASH)) {
        this.unsupported = true;
        this.close();
      }
      return;
    }
    const p = this.pending;
    if (!p) return;
    if (stream === 'out') {
      p.out.push(d);
      p.outTail = Buffer.concat([p.outTail, d]).subarray(-TAIL_BYTES);
    } else {
      p.err.push(d);
      p.errTail = Buffer.concat([p.errTail, d]).subarray(-TAIL_BYTES);
    }
    if (!parseReply(p.id, p.outTail, p.errTail)) return;
    const done = parseReply(p.id, Buffer.concat(p.out), Buffer.concat(p.err));
    if (!done) return;
    clearTimeout(p.timer);
    this.pending = null;
    this.state = 'idle';
    p.resolve(done);
  }

  private gone(): void {
    if (this.state === 'gone') return;
    this.state = 'gone';
    this.settleReady(false);
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.reject(new Error('the connection closed while the script ran'));
    }
  }
}
