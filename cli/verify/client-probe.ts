// The client `haup verify` plays: from this machine, one probe of the VIP every 10 ms (HTTP GET, TCP connect or
// ICMP echo), each on a fresh connection so every answer reflects where the VIP's traffic goes right now.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { HaupError } from '../errors.js';
import type { ProbeSample } from './measure.js';

export interface ProbeTarget {
  type: 'http' | 'tcp' | 'ping';
  address: string;
  port: number;
  path: string;
  /** Node names to look for in an HTTP answer (the lab's nginx says "haup lab host h1"). */
  nodes: readonly string[];
}

export interface ProbeOptions {
  intervalMs?: number;
  /** Per-request budget: a request still unanswered after this counts as failed. */
  timeoutMs?: number;
  /** Epoch milliseconds (sub-millisecond); samples carry this clock. */
  clock: () => number;
}

export interface ClientProbe {
  /** Samples so far (completed requests), in completion order. */
  readonly samples: readonly ProbeSample[];
  /** Stops sending, waits for requests in flight, returns every sample sorted by send time. */
  stop(): Promise<ProbeSample[]>;
}

export const DEFAULT_PROBE_INTERVAL_MS = 10;
export const DEFAULT_PROBE_TIMEOUT_MS = 300;

/** Which node a body names: exactly one of `nodes` as a whole word, else null. Pure. */
export function nodeNamedIn(body: string, nodes: readonly string[]): string | null {
  const hits = nodes.filter((n) => new RegExp(`(^|[^A-Za-z0-9_.-])${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_.-])`).test(body));
  return hits.length === 1 ? (hits[0] as string) : null;
}

function httpOnce(t: ProbeTarget, timeoutMs: number): Promise<{ ok: boolean; node: string | null }> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean, node: string | null = null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ok, node });
    };
    // agent: false + Connection: close: a new TCP connection per request; a kept-alive one would stay with
    // the old master after the VIP moved.
    const req = request({ host: t.address, port: t.port, path: t.path, method: 'GET', agent: false, headers: { connection: 'close', 'user-agent': 'haup-verify' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (b: Buffer) => {
        if (size < 4096) chunks.push(b);
        size += b.length;
      });
      res.on('end', () => finish((res.statusCode ?? 500) < 400, nodeNamedIn(Buffer.concat(chunks).toString('utf8'), t.nodes)));
      res.on('error', () => finish(false));
    });
    const timer = setTimeout(() => finish(false), timeoutMs);
    req.on('error', () => finish(false));
    req.end();
  });
}

function tcpOnce(t: ProbeTarget, timeoutMs: number): Promise<{ ok: boolean; node: string | null }> {
  return new Promise((resolve) => {
    const sock = connect({ host: t.address, port: t.port });
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok, node: null });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.once('connect', () => finish(true));
    sock.once('error', () => finish(false));
  });
}

/** Starts an HTTP or TCP probe; each request's sample is stamped with its send time. */
function startConnectProbe(t: ProbeTarget, opts: ProbeOptions): ClientProbe {
  const interval = opts.intervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
  const timeout = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const samples: ProbeSample[] = [];
  const inflight = new Set<Promise<void>>();
  const once = t.type === 'http' ? httpOnce : tcpOnce;
  const fire = () => {
    const sent = opts.clock();
    const p = once(t, timeout).then((r) => {
      samples.push({ t: sent, ok: r.ok, node: r.node });
      inflight.delete(p);
    });
    inflight.add(p);
  };
  fire();
  const timer = setInterval(fire, interval);
  return {
    samples,
    async stop() {
      clearInterval(timer);
      await Promise.all([...inflight]);
      return [...samples].sort((a, b) => a.t - b.t);
    },
  };
}

/** A line of `ping -D -O` output as a sample: a reply (send time = receive time - rtt) or a missing one. Pure. */
export function parsePingLine(line: string, intervalMs: number): { seq: number; sample: ProbeSample } | null {
  const reply = /^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+) .*time=([\d.]+) ms/.exec(line);
  if (reply) return { seq: Number(reply[2]), sample: { t: Number(reply[1]) * 1000 - Number(reply[3]), ok: true, node: null } };
  const missing = /^\[(\d+\.\d+)\] no answer yet for icmp_seq=(\d+)/.exec(line);
  if (missing) return { seq: Number(missing[2]), sample: { t: Number(missing[1]) * 1000 - intervalMs, ok: false, node: null } };
  return null;
}

/**
 * ICMP echo every 10 ms through iputils ping (-D: wall-clock stamps, -O: report each unanswered request).
 * A reply overrides an earlier "no answer yet" for the same sequence number (it was only late).
 */
function startPingProbe(t: ProbeTarget, opts: ProbeOptions): ClientProbe {
  const interval = opts.intervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
  const bySeq = new Map<number, ProbeSample>();
  const samples: ProbeSample[] = [];
  const child: ChildProcess = spawn('ping', ['-n', '-D', '-O', '-i', String(interval / 1000), '-W', '1', t.address], { stdio: ['ignore', 'pipe', 'pipe'] });
  let partial = '';
  let failed: Error | null = null;
  child.on('error', (e) => (failed = e));
  child.stdout?.on('data', (b: Buffer) => {
    const text = partial + b.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      const p = parsePingLine(l, interval);
      if (!p) continue;
      const prev = bySeq.get(p.seq);
      if (prev?.ok) continue;
      bySeq.set(p.seq, p.sample);
      samples.push(p.sample);
    }
  });
  // Never outlive this process (a second Ctrl-C exits at once).
  const onExit = () => child.kill('SIGINT');
  process.once('exit', onExit);
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    samples,
    async stop() {
      process.off('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
      if (failed) throw new HaupError('HAUP_USAGE', `cannot run ping for the probe: ${(failed as Error).message}`, { hint: 'install it (apt-get install iputils-ping) or use probe: { type: http } or tcp' });
      return [...bySeq.values()].sort((a, b) => a.t - b.t);
    },
  };
}

export function startProbe(t: ProbeTarget, opts: ProbeOptions): ClientProbe {
  return t.type === 'ping' ? startPingProbe(t, opts) : startConnectProbe(t, opts);
}

/** "http://10.0.0.5:80/", "tcp 10.0.0.5:443", "ping 10.0.0.5": how reports name the probe. */
export function describeProbe(t: ProbeTarget): string {
  const host = t.address.includes(':') ? `[${t.address}]` : t.address;
  if (t.type === 'http') return `http://${host}:${t.port}${t.path}`;
  if (t.type === 'tcp') return `tcp ${host}:${t.port}`;
  return `ping ${t.address}`;
}
