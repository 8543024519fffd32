// Parses haup-agent's command line (no dependencies: the agent ships alone). Pure.
import { DEFAULT_PID_FILE, DEFAULT_STATE_FILE } from './status.js';

export type AgentCommand =
  | { cmd: 'run'; configFile: string; stateFile: string; pidFile: string; recordFile: string | null }
  | { cmd: 'check'; configFile: string }
  | { cmd: 'status'; stateFile: string; json: boolean }
  | { cmd: 'help'; topic: 'run' | 'check' | 'status' | null }
  | { cmd: 'version' };

export type ParseResult = { ok: true; command: AgentCommand } | { ok: false; error: string };

export const HELP: Record<'main' | 'run' | 'check' | 'status', string> = {
  main: `haup-agent: a VRRP daemon (RFC 3768 v2, RFC 5798 v3) that reads keepalived.conf syntax

Usage:
  haup-agent run -f FILE      run in the foreground (as systemd wants it); SIGHUP reloads, SIGTERM stops
  haup-agent check FILE       check a configuration, like keepalived -t; exit 0 when usable
  haup-agent status           show the running agent's instances, from its state file
  haup-agent --version

Run "haup-agent <command> --help" for a command's options.`,
  run: `Usage: haup-agent run -f FILE [--state-file PATH] [--pid-file PATH] [--record PATH]

Runs the VRRP instances of FILE in the foreground, logging one line per event to stdout.
  -f, --config-file FILE  keepalived.conf-syntax configuration (default /etc/haup/keepalived.conf)
  --state-file PATH       JSON status written on every change (default ${DEFAULT_STATE_FILE})
  --pid-file PATH         pid file (default ${DEFAULT_PID_FILE})
  --record PATH           append every input event as JSON lines (for turning incidents into tests)
Signals: SIGHUP reloads FILE (unchanged instances keep state and VIPs); SIGTERM/SIGINT send priority 0,
release the VIPs and exit 0.

Example: haup-agent run -f /etc/haup/keepalived.conf`,
  check: `Usage: haup-agent check FILE

Parses FILE and prints every error and keepalived-style warning with file:line. Exit 0 when the file can
run (warnings allowed), 1 when it has errors.

Example: haup-agent check /etc/haup/keepalived.conf`,
  status: `Usage: haup-agent status [--state-file PATH] [--json]

Prints each instance's state, effective priority, VIPs, the master seen and the last transition.

Example: haup-agent status --json`,
};

export function parseArgs(argv: readonly string[]): ParseResult {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') return { ok: true, command: { cmd: 'help', topic: null } };
  if (cmd === '--version' || cmd === '-v' || cmd === 'version') return { ok: true, command: { cmd: 'version' } };
  if (cmd !== 'run' && cmd !== 'check' && cmd !== 'status') {
    return { ok: false, error: `unknown command "${cmd}"; expected run, check or status (see haup-agent --help)` };
  }
  if (rest.includes('--help') || rest.includes('-h')) return { ok: true, command: { cmd: 'help', topic: cmd } };

  const opts = new Map<string, string | true>();
  const positional: string[] = [];
  const valued = new Set(['-f', '--config-file', '--use-file', '--state-file', '--pid-file', '--record']);
  const flags = new Set(['--json', '-n', '--dont-fork', '-l', '--log-console']);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (valued.has(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : rest[++i];
      if (v === undefined || v === '') return { ok: false, error: `${name} needs a value` };
      opts.set(name === '--use-file' || name === '--config-file' ? '-f' : name, v);
    } else if (flags.has(name)) opts.set(name, true);
    else if (a.startsWith('-')) return { ok: false, error: `unknown option ${a} for "${cmd}" (see haup-agent ${cmd} --help)` };
    else positional.push(a);
  }
  const str = (k: string, d: string) => {
    const v = opts.get(k);
    return typeof v === 'string' ? v : d;
  };
  switch (cmd) {
    case 'run': {
      if (positional.length > 0) return { ok: false, error: `unexpected argument ${positional[0]}; give the file with -f` };
      const record = opts.get('--record');
      return {
        ok: true,
        command: {
          cmd: 'run',
          configFile: str('-f', '/etc/haup/keepalived.conf'),
          stateFile: str('--state-file', DEFAULT_STATE_FILE),
          pidFile: str('--pid-file', DEFAULT_PID_FILE),
          recordFile: typeof record === 'string' ? record : null,
        },
      };
    }
    case 'check': {
      const file = positional[0] ?? (typeof opts.get('-f') === 'string' ? (opts.get('-f') as string) : undefined);
      if (file === undefined) return { ok: false, error: 'check needs a FILE (haup-agent check /etc/haup/keepalived.conf)' };
      return { ok: true, command: { cmd: 'check', configFile: file } };
    }
    case 'status':
      return { ok: true, command: { cmd: 'status', stateFile: str('--state-file', DEFAULT_STATE_FILE), json: opts.get('--json') === true } };
  }
}
