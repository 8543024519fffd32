// The two VRRP engines the failover bench compares: the haup agent and Debian's keepalived, run inside lab hosts.
import { readFileSync } from 'node:fs';
import { hostExec, type TestLab, type TestLabHost } from '../../test/support/lab.js';
import { installAgent, startAgent, startInHost, writeHostFile, type RunningAgent } from '../../test/support/agent.js';
import { waitPidGone } from '../../test/support/netns.js';

export type EngineName = 'haup' | 'keepalived';
export const ENGINES: readonly EngineName[] = ['haup', 'keepalived'];

/** One running VRRP daemon on one lab host. */
export interface Daemon {
  readonly engine: EngineName;
  readonly host: TestLabHost;
  /** Every process of the daemon (keepalived: parent and children), for RSS and CPU. */
  pids(): number[];
  /** SIGKILL, so no priority-0 advert can go out; resolves once every process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (priority 0 advert, VIPs removed); resolves once every process is gone. */
  stop(): Promise<void>;
  /** The daemon's own log, for a failure report. */
  log(): string;
}

export interface EngineStarter {
  readonly name: EngineName;
  /** Writes `conf` where this engine reads it (and installs the agent once). */
  configure(lab: TestLab, host: TestLabHost, conf: string): Promise<void>;
  start(lab: TestLab, host: TestLabHost): Promise<Daemon>;
}

const HAUP_CONF = '/etc/haup/keepalived.conf';
const KEEPALIVED_CONF = '/etc/keepalived/keepalived.conf';
/** In the host's private /run. */
const KEEPALIVED_PIDS = ['/run/keepalived.pid', '/run/keepalived-vrrp.pid'];

/** Where `--record` makes the agent append its input events (in the host's private /var/log). */
export const HAUP_RECORD = '/var/log/haup/record.jsonl';

/** The haup agent; `record` adds `--record` (every input event with its time, for finding where lateness comes from). */
export function haupEngine(opts: { record?: boolean } = {}): EngineStarter {
  const installed = new Set<string>();
  return {
    name: 'haup',
    async configure(lab, host, conf) {
      if (!installed.has(host.name)) await installAgent(lab, host);
      installed.add(host.name);
      writeHostFile(lab, host, HAUP_CONF, conf, 0o600);
    },
    async start(lab, host) {
      const a = startAgent(lab, host, opts.record ? ['--record', HAUP_RECORD] : []);
      return daemonOf('haup', host, a, () => [a.pid], async () => {
        await a.kill9();
      });
    },
  };
}

export function keepalivedEngine(binary: string): EngineStarter {
  return {
    name: 'keepalived',
    async configure(lab, host, conf) {
      writeHostFile(lab, host, KEEPALIVED_CONF, conf, 0o600);
    },
    async start(lab, host) {
      // A pid file left by a killed keepalived whose pid was reused would stop it from starting.
      await hostExec(lab, host, ['rm', '-f', ...KEEPALIVED_PIDS]);
      // -P: the VRRP subsystem only (no checker child); -n -l: foreground, log to the console.
      const k = startInHost(lab, host, [binary, '-n', '-l', '-D', '-P', '-f', KEEPALIVED_CONF, '-p', KEEPALIVED_PIDS[0] as string, '-r', KEEPALIVED_PIDS[1] as string]);
      const pids = () => (k.running ? [k.pid, ...descendants(k.pid)] : []);
      return daemonOf('keepalived', host, k, pids, async () => {
        // The parent would restart a killed VRRP child, and a child that outlives its parent shuts
        // down gracefully (priority 0). Freeze them all first, then kill: nothing runs in between.
        const all = pids();
        for (const pid of all) signal(pid, 'SIGSTOP');
        for (const pid of [...all].reverse()) signal(pid, 'SIGKILL');
        await Promise.all(all.map((pid) => waitPidGone(pid, 5000)));
      });
    },
  };
}

function daemonOf(engine: EngineName, host: TestLabHost, p: RunningAgent, pids: () => number[], kill: () => Promise<void>): Daemon {
  return {
    engine,
    host,
    pids,
    kill,
    async stop() {
      const all = pids();
      await p.stop('SIGTERM');
      await Promise.all(all.map((pid) => waitPidGone(pid, 10_000)));
    },
    log: () => p.log(),
  };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Children, grandchildren, ... of pid (from /proc/PID/task/TID/children). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    let text = '';
    try {
      text = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const c of text.trim().split(/\s+/).filter(Boolean).map(Number)) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}
