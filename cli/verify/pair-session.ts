// One verify run's view of a pair's nodes over their SSH connections: facts with clock offsets, waits on the
// node, and the small helpers the failover and its restore share (abortable waits, short error lines).
import type { HostModel, InventoryModel, PairModel } from '../inventory/model.js';
import type { Transport } from '../transport/transport.js';
import { vipAddress } from './facts.js';
import { parseWaitOutput, waitVipsScript, type DaemonTarget } from './induce.js';
import { clockOffsetMs, nodeFactsScript, parseNodeFacts, usableOffset, type NodeFacts } from './node-facts.js';
import type { PairHosts } from './select.js';

export interface FailoverContext {
  model: InventoryModel;
  pair: PairModel;
  hosts: PairHosts;
  transports: ReadonlyMap<string, Transport>;
  marginMs: number;
  /** Epoch milliseconds with sub-millisecond precision. */
  clock: () => number;
  log: (line: string) => void;
  /** Aborted on Ctrl-C: stop measuring and restore at once. The restore itself is never cut short. */
  signal: AbortSignal;
  probe?: { intervalMs?: number; timeoutMs?: number };
}

export interface Observed {
  facts: NodeFacts;
  /** The node's clock minus ours (ms), when it told us its clock. */
  offsetMs: number | null;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Aborted extends Error {}

/** Resolves like `p`, or rejects with Aborted as soon as the signal fires (p keeps running on its own). */
export function unlessAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export function target(h: HostModel): DaemonTarget {
  return { engine: h.engine, paths: h.paths };
}

export function firstLine(text: string): string {
  return text.trim().split('\n').filter((l) => l.trim() !== '').slice(-3).join(' / ');
}

export class PairRun {
  /** Per node: its clock minus ours, from the quickest round trip so far (the smallest error). */
  private readonly offsets = new Map<string, { offsetMs: number; errorMs: number }>();

  constructor(private readonly ctx: FailoverContext) {}

  transport(h: HostModel): Transport {
    const t = this.ctx.transports.get(h.id);
    if (!t) throw new Error(`no connection to ${h.id}`);
    return t;
  }

  /** Our time for a node's clock reading. */
  local(h: HostModel, remoteMs: number | null): number | null {
    if (remoteMs === null) return null;
    return remoteMs - usableOffset(this.offsets.get(h.id));
  }

  async observe(h: HostModel): Promise<Observed> {
    const sent = this.ctx.clock();
    const r = await this.transport(h).exec(nodeFactsScript(h), { sudo: false, timeoutMs: 15_000 });
    const received = this.ctx.clock();
    if (r.code !== 0) throw new Error(`${h.id}: the facts script exited with code ${r.code}: ${firstLine(r.stderr)}`);
    const facts = parseNodeFacts(r.stdout);
    const off = clockOffsetMs(facts.clockMs, sent, received);
    const known = this.offsets.get(h.id);
    if (off && (!known || off.errorMs < known.errorMs)) this.offsets.set(h.id, off);
    return { facts, offsetMs: off?.offsetMs ?? null };
  }

  async observeOrNull(h: HostModel): Promise<{ facts: NodeFacts | null; error: string | null }> {
    try {
      return { facts: (await this.observe(h)).facts, error: null };
    } catch (err) {
      return { facts: null, error: (err as Error).message };
    }
  }

  /** Runs the wait script on a node; returns whether the condition held, when (our clock), and the facts. */
  async waitVips(h: HostModel, want: 'hold' | 'release', timeoutMs: number): Promise<{ met: boolean; at: number | null; facts: NodeFacts }> {
    const vips = this.ctx.pair.vips.map((v) => vipAddress(v.address));
    const r = await this.transport(h).exec(waitVipsScript(target(h), vips, want, timeoutMs), { sudo: false, timeoutMs: timeoutMs + 15_000 });
    const received = this.ctx.clock();
    if (r.code !== 0) throw new Error(`${h.id}: the wait script exited with code ${r.code}: ${firstLine(r.stderr)}`);
    const w = parseWaitOutput(r.stdout);
    return { met: w.met, at: this.local(h, w.seenMs) ?? received, facts: parseNodeFacts(r.stdout) };
  }
}

