// A fake cluster for orchestration tests: memory transports whose scripted commands answer deploy's facts, service,
// wait and rollback scripts like a node running the haup agent would, on a simulated clock. VRRP is modelled just
// enough: a started agent is BACKUP, and after its Master_Down_Interval the highest priority (or, with nopreempt, the
// first) eligible node of a VRID is MASTER.
import { createHash } from 'node:crypto';
import { MARK } from '../../../cli/deploy/daemon-scripts.js';
import { statesKey } from '../../../cli/deploy/expect.js';
import { MemoryTransport, type ExecCall } from '../../../cli/transport/memory.js';
import type { ExecResult } from '../../../cli/transport/transport.js';

export interface NodeBehaviour {
  /** Interfaces the node has (default eth0, lo). */
  interfaces?: string[];
  /** The agent exits right after starting. */
  runFails?: boolean;
  /** `haup-agent check` rejects the config (reload and restart fail before touching the daemon). */
  checkFails?: boolean;
}

interface Agent {
  pid: number;
  startedAt: number;
  /** Last time its status changed (start, reload). */
  changedAt: number;
  configHash: string;
  dead: boolean;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Single-quoted or bare words of a shell line, unquoted. */
function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)) out.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : (m[2] as string));
  return out;
}

const previousOf = (script: string) => words(/^PREV=(.*)$/m.exec(script)?.[1] ?? "''")[0] ?? '';
const timeoutOf = (script: string) => Number(/^now; end=\$\(\(t \+ (\d+)\)\)/m.exec(script)?.[1] ?? 1);

export class FakeNode {
  readonly transport: MemoryTransport;
  agent: Agent | null = null;

  constructor(
    readonly name: string,
    private readonly cluster: FakeCluster,
    readonly behaviour: NodeBehaviour,
  ) {
    this.transport = new MemoryTransport({ name, scripts: [(call) => this.answer(call)] });
  }

  config(): string {
    return this.transport.files.get('/etc/haup/keepalived.conf')?.content.toString('utf8') ?? '';
  }

  /** Instances in the config: name, VRID, priority, nopreempt. */
  instances(): { name: string; vrid: number; priority: number; nopreempt: boolean }[] {
    return [...this.config().matchAll(/vrrp_instance (\S+) \{([\s\S]*?)\n\}/g)].map((m) => ({
      name: m[1] as string,
      vrid: Number(/virtual_router_id (\d+)/.exec(m[2] as string)?.[1]),
      priority: Number(/priority (\d+)/.exec(m[2] as string)?.[1]),
      nopreempt: /\bnopreempt\b/.test(m[2] as string),
    }));
  }

  get running(): boolean {
    return this.agent !== null && !this.agent.dead;
  }

  private answer(call: ExecCall): ExecResult | undefined {
    const script = /^(\/\S*\/)?(ba)?sh -c /.test(call.command) ? (words(call.command)[2] ?? '') : call.command;
    const first = script.split('\n')[0] ?? '';
    const kind = first.startsWith(MARK) ? (first.split(' ')[2] === 'service' ? first.split(' ')[4] : first.split(' ')[2]) : script.includes('state-begin') ? 'facts' : 'other';
    this.cluster.trace.push(`${this.name} ${kind}`);
    if (script.includes('state-begin') && !first.startsWith(MARK)) return this.facts(script);
    if (first.startsWith(`${MARK} service`)) return this.serviceAndWait(first.split(' ')[4] as string, script);
    if (first.startsWith(`${MARK} wait`)) return this.wait(script);
    if (first.startsWith(`${MARK} rollback`)) return this.rollback(script);
    if (script.includes('base64 -w0')) {
      const out = [...script.matchAll(/^echo "(=== \d+)"; base64 -w0 < (.+); echo$/gm)].map((m) => `${m[1]}\n${this.transport.files.get(words(m[2] as string)[0] as string)?.content.toString('base64') ?? ''}\n`);
      return { code: 0, stdout: out.join(''), stderr: '' };
    }
    return undefined;
  }

  private facts(script: string): ExecResult {
    const list = /for f in (.*); do/.exec(script)?.[1] ?? '';
    const lines = ['uid=0', 'sudo=1', 'node=v20.20.2', 'nodepath=/usr/bin/node', 'keepalived=/usr/sbin/keepalived', 'ip=1', `ifaces=${(this.behaviour.interfaces ?? ['eth0', 'lo']).join(' ')} `, 'init=sh'];
    const present: string[] = [];
    for (const p of words(list)) {
      if (this.transport.files.has(p)) present.push(p);
      else lines.push(`nofile ${p}`);
    }
    lines.push('hash-begin', ...present.map((p) => `${sha(this.transport.files.get(p)?.content ?? '')}  ${p}`), 'hash-end');
    lines.push('stat-begin', ...present.map((p) => `${(this.transport.files.get(p)?.mode ?? 0).toString(8)} 0 ${p}`), 'stat-end');
    lines.push(`agentpid=${this.running ? this.agent?.pid : ''}`, 'state-begin', this.agent ? this.statusText() : '', 'state-end');
    return { code: 0, stdout: `${lines.join('\n')}\n`, stderr: '' };
  }

  private start(): number {
    const pid = this.cluster.nextPid++;
    const now = this.cluster.now;
    this.agent = { pid, startedAt: now, changedAt: now, configHash: sha(this.config()), dead: Boolean(this.behaviour.runFails) };
    return pid;
  }

  private service(action: string): ExecResult {
    this.cluster.events.push(`${this.name} ${action}`);
    if (action !== 'start' && this.behaviour.checkFails) return { code: 3, stdout: '', stderr: 'config: unknown keyword bogus\nhaup: haup-agent check rejected /etc/haup/keepalived.conf\n' };
    if (action === 'reload') {
      if (!this.running || !this.agent) return { code: 4, stdout: '', stderr: 'haup: the daemon is not running\n' };
      this.agent.configHash = sha(this.config());
      this.agent.changedAt = this.cluster.now;
      return { code: 0, stdout: `logmark=haup-deploy 1.1\npid=${this.agent.pid}\n`, stderr: '' };
    }
    return { code: 0, stdout: `logmark=haup-deploy 1.1\npid=${this.start()}\n`, stderr: '' };
  }

  /** A service script, and the wait it runs afterwards when it has one (deploy's first look for readiness). */
  private serviceAndWait(action: string, script: string): ExecResult {
    const res = this.service(action);
    if (res.code !== 0 || !/^echo wait-begin$/m.test(script)) return res;
    const pid = /^pid=(\d+)$/m.exec(res.stdout)?.[1];
    this.cluster.trace.push(`${this.name} ready`);
    const waited = this.waitFor(previousOf(script), pid, timeoutOf(script), 0);
    return { ...res, stdout: `${res.stdout}wait-begin\n${waited.stdout}` };
  }

  private rollback(script: string): ExecResult {
    this.cluster.events.push(`${this.name} rollback`);
    for (const m of script.matchAll(/mv -fT -- (\S+) (\S+); fi/g)) {
      const [prev, path] = [words(m[1] as string)[0] as string, words(m[2] as string)[0] as string];
      const f = this.transport.files.get(prev);
      if (f) {
        this.transport.files.set(path, f);
        this.transport.files.delete(prev);
      }
    }
    for (const m of script.matchAll(/^rm -f -- (.+)$/gm)) this.transport.files.delete(words(m[1] as string)[0] as string);
    const last = script.trimEnd().split('\n').slice(-2).join('\n');
    if (last.endsWith('stop_daemon\nstart_daemon')) {
      this.behaviour.runFails = false;
      return { code: 0, stdout: `pid=${this.start()}\n`, stderr: '' };
    }
    if (last.includes('then reload_daemon')) {
      if (this.running && this.agent) {
        this.agent.configHash = sha(this.config());
        this.agent.changedAt = this.cluster.now;
        return { code: 0, stdout: `pid=${this.agent.pid}\n`, stderr: '' };
      }
      return { code: 0, stdout: `pid=${this.start()}\n`, stderr: '' };
    }
    this.agent = null;
    return { code: 0, stdout: '', stderr: '' };
  }

  private wait(script: string): ExecResult {
    const watch = /^WATCH=(\d+)$/m.exec(script)?.[1];
    const delay = Number(/^nap (\d+\.\d+)$/m.exec(script)?.[1] ?? 0) * 1000;
    return this.waitFor(previousOf(script), watch, timeoutOf(script), delay, script.includes('k="$k$l|"'));
  }

  private waitFor(previous: string, watch: string | undefined, timeoutCs: number, delay: number, states = false): ExecResult {
    const c = this.cluster;
    c.advance(delay);
    const deadline = c.now + timeoutCs * 10;
    // Long poll: jump to the next change of this node's status (or of its states), or to the deadline.
    const current = () => (states ? statesKey(this.statusText()) : this.observed());
    if (this.running && current() === previous) c.advanceTo(Math.min(deadline, this.cluster.nextChange(this) ?? deadline));
    const alive = this.running;
    const pid = this.agent?.pid ?? '';
    const lines = [
      `pidfile=${alive ? pid : ''} ${alive ? 'alive' : 'dead'}`,
      ...(watch ? [`watch=${watch} ${alive && String(pid) === watch ? 'alive' : 'dead'}`] : []),
      'observed-begin',
      this.running ? this.observed() : '',
      'observed-end',
      'state-begin',
      this.agent && !this.agent.dead ? this.statusText() : '',
      'state-end',
      'addr-begin',
      'addr-end',
      ...(alive ? [] : ['log-begin', 'haup-agent: cannot start (simulated)', 'log-end']),
    ];
    return { code: 0, stdout: `${lines.join('\n')}\n`, stderr: '' };
  }

  /** The status file's updatedAt changes whenever this node's state changes. */
  private observed(): string {
    return `  "updatedAt": "${this.cluster.lastChange(this)}",`;
  }

  statusText(): string {
    const a = this.agent as Agent;
    const instances = this.instances().map((i) => ({ name: i.name, vrid: i.vrid, state: this.cluster.stateOf(this, i.vrid), priority: i.priority }));
    return JSON.stringify(
      { agent: 'haup-agent', version: 'fake', pid: a.pid, node: this.name, configFile: '/etc/haup/keepalived.conf', configHash: a.configHash, startedAt: String(a.startedAt), updatedAt: String(this.cluster.lastChange(this)), instances },
      null,
      2,
    );
  }
}

export class FakeCluster {
  now = 0;
  nextPid = 1000;
  /** "h2 start", "h1 reload", "h2 rollback", in the order the nodes saw them. */
  readonly events: string[] = [];
  /** Every script a node ran, as "h1 facts", "h1 push", "h1 start", "h1 wait", ... (the first wait a service script runs itself shows as "h1 ready"). */
  readonly trace: string[] = [];
  readonly nodes = new Map<string, FakeNode>();
  readonly clock = () => this.now;

  add(name: string, behaviour: NodeBehaviour = {}): FakeNode {
    const n = new FakeNode(name, this, behaviour);
    this.nodes.set(name, n);
    return n;
  }

  advance(ms: number): void {
    this.now += ms;
  }

  advanceTo(t: number): void {
    this.now = Math.max(this.now, t);
  }

  /** When a node's agent may first become MASTER for a VRID: start + 3 s + skew (advert_int 1). */
  private eligibleAt(n: FakeNode, vrid: number): number | null {
    const inst = n.instances().find((i) => i.vrid === vrid);
    if (!n.running || !n.agent || !inst) return null;
    return n.agent.startedAt + 3000 + ((256 - inst.priority) * 1000) / 256;
  }

  stateOf(n: FakeNode, vrid: number, at = this.now): 'BACKUP' | 'MASTER' {
    const peers = [...this.nodes.values()].filter((p) => p.running && p.instances().some((i) => i.vrid === vrid));
    const eligible = peers.filter((p) => (this.eligibleAt(p, vrid) as number) <= at);
    if (eligible.length === 0) return 'BACKUP';
    const prio = (p: FakeNode) => p.instances().find((i) => i.vrid === vrid)?.priority ?? 0;
    const nopreempt = peers.some((p) => p.instances().find((i) => i.vrid === vrid)?.nopreempt);
    const winner = nopreempt
      ? eligible.reduce((a, b) => ((this.eligibleAt(a, vrid) as number) <= (this.eligibleAt(b, vrid) as number) ? a : b))
      : eligible.reduce((a, b) => (prio(a) >= prio(b) ? a : b));
    return winner === n ? 'MASTER' : 'BACKUP';
  }

  /** Times at which some node's state may change: every eligibility moment of every running node. */
  private changeTimes(n: FakeNode): number[] {
    const vrids = n.instances().map((i) => i.vrid);
    return [...this.nodes.values()].flatMap((p) => vrids.map((v) => this.eligibleAt(p, v)).filter((t): t is number => t !== null));
  }

  lastChange(n: FakeNode): number {
    const own = n.agent?.changedAt ?? 0;
    const past = this.changeTimes(n).filter((t) => t <= this.now && t >= own);
    return Math.max(own, ...past);
  }

  nextChange(n: FakeNode): number | null {
    const future = this.changeTimes(n).filter((t) => t > this.now);
    return future.length > 0 ? Math.min(...future) : null;
  }
}
