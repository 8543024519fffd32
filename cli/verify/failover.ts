// One real failover of one pair (issue 5 steps 1-5): pre-check, client probe, induce the failure on the node
// holding the VIPs, measure the takeover and what the client saw, then restore the pair, always.
import type { HostModel, InventoryModel, PairModel } from '../inventory/model.js';
import type { Transport } from '../transport/transport.js';
import { describeProbe, startProbe, type ClientProbe, type ProbeTarget } from './client-probe.js';
import { vipAddress } from './facts.js';
import {
  daemonStartScript,
  failureScript,
  parseInduceOutput,
  parseStartOutput,
  parseWaitOutput,
  serviceRestoreScript,
  serviceTarget,
  waitVipsScript,
  type DaemonTarget,
  type InduceOutput,
  type ServiceTarget,
} from './induce.js';
import { expectedTakeover, measureOutage, type FailureMode } from './measure.js';
import { readNeighbour, watchNeighbour } from './neighbour.js';
import { clockOffsetMs, nodeFactsScript, parseNodeFacts, usableOffset, type NodeFacts } from './node-facts.js';
import { pairCheck, pairMasterDownMs, precheckPair, takeoverTiming } from './precheck.js';
import type { PairHosts } from './select.js';
import { modeResult, notRun, type ModeObservation, type ModeResult, type RestoreObservation } from './verdict.js';

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

interface Observed {
  facts: NodeFacts;
  /** The node's clock minus ours (ms), when it told us its clock. */
  offsetMs: number | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class Aborted extends Error {}

/** Resolves like `p`, or rejects with Aborted as soon as the signal fires (p keeps running on its own). */
function unlessAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
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

function target(h: HostModel): DaemonTarget {
  return { engine: h.engine, paths: h.paths };
}

function firstLine(text: string): string {
  return text.trim().split('\n').filter((l) => l.trim() !== '').slice(-3).join(' / ');
}

class PairRun {
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

function probeTarget(ctx: FailoverContext): ProbeTarget {
  const p = ctx.pair.probe;
  return { type: p.type, address: vipAddress(ctx.pair.vips[0]?.address ?? ''), port: p.port, path: p.path, nodes: [ctx.pair.master.id, ctx.pair.backup.id] };
}

/** Waits until the probe has `n` good answers in a row (from `node` when the probe names nodes). */
async function warmUp(probe: ClientProbe, node: string, n: number, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (signal.aborted) throw new Aborted();
    const s = probe.samples;
    const last = s.slice(-n);
    if (last.length === n && last.every((x) => x.ok && (x.node === null || x.node === node))) return true;
    await sleep(20);
  }
  return false;
}

/** Runs one mode on one pair. Never throws for what happens on the nodes: it all lands in the result. */
export async function runFailover(ctx: FailoverContext, mode: FailureMode): Promise<ModeResult> {
  const { pair, hosts, clock, log, signal } = ctx;
  const run = new PairRun(ctx);
  const pt = probeTarget(ctx);
  const probeName = describeProbe(pt);
  const configured = { from: hosts.master.id, to: hosts.backup.id, probe: probeName };

  // 1. Pre-check: exactly one holder, both daemons healthy; nothing is touched otherwise.
  const [m, b] = await Promise.all([run.observeOrNull(hosts.master), run.observeOrNull(hosts.backup)]);
  const unreachable = [m.error, b.error].filter((e): e is string => e !== null);
  const pre = precheckPair(pair, hosts, m.facts, b.facts);
  if (!pre.ok || unreachable.length > 0) {
    return notRun(pair.name, mode, 'fail', [...unreachable, ...(pre.ok ? [] : pre.problems)].map((p) => `pre-check: ${p}`), configured);
  }
  const { from, to } = pre;
  const fromFacts = from.id === hosts.master.id ? m.facts : b.facts;
  const toFacts = to.id === hosts.master.id ? m.facts : b.facts;
  const who = { from: from.id, to: to.id, probe: probeName };
  const timing = takeoverTiming(pair, from, to, fromFacts, toFacts);
  const expected = expectedTakeover(mode, timing);
  let service: ServiceTarget | null = null;
  if (mode === 'check') {
    const s = serviceTarget(pairCheck(from, pair)?.check ?? null);
    if (typeof s === 'string') return notRun(pair.name, mode, 'skipped', [], who, { ms: null, why: s });
    service = s;
  }
  if (expected.ms === null) return notRun(pair.name, mode, 'skipped', [], who, expected);
  const mdi = pairMasterDownMs(timing);
  const takeoverTimeoutMs = expected.ms * 1.5 + ctx.marginMs + 3000;

  // 2. The client probe, from this machine, and this machine's neighbour entry for the VIP.
  const watch = watchNeighbour(pt.address, clock);
  const probe = startProbe(pt, { clock, ...ctx.probe });
  const fromMac = fromFacts?.macs.get(pair.vips[0]?.dev ?? '') ?? null;
  const toMac = toFacts?.macs.get(pair.vips[0]?.dev ?? '') ?? null;
  const obs: ModeObservation = {
    pair: pair.name,
    mode,
    ...who,
    expected,
    marginMs: ctx.marginMs,
    inducedAt: null,
    induceError: null,
    takeoverAt: null,
    observedAt: null,
    transitionAt: null,
    takeoverTimeoutMs,
    interrupted: false,
    samples: [],
    restoreAt: null,
    neighbour: { before: null, after: null, changes: watch.changes, fromMac, toMac },
    restore: null,
  };
  let touched = false;
  let induced: InduceOutput | null = null;
  let vipSilent: string | null = null;

  const measure = async (): Promise<void> => {
    if (!(await warmUp(probe, from.id, 5, 3000, signal))) {
      const last = probe.samples.at(-1);
      const why = last?.ok ? `answered by ${last.node ?? 'an unnamed node'}, not ${from.id}` : 'no answer';
      vipSilent = `pre-check: ${probeName} does not answer from ${from.id} here (${why})`;
      return;
    }
    obs.neighbour.before = await readNeighbour(pt.address);

    // 3. Induce the failure on the node holding the VIPs.
    log(`${pair.name} ${mode}: ${from.id} holds ${pair.vips.map((v) => vipAddress(v.address)).join(', ')}; inducing (${mode}), expecting ${to.id} to take over in ${expected.bound === 'at-most' ? 'at most ' : 'about '}${Math.round(expected.ms)} ms`);
    touched = true;
    const sent = clock();
    const r = await run.transport(from).exec(failureScript(mode, target(from), service), { timeoutMs: 30_000 });
    const received = clock();
    induced = parseInduceOutput(r.stdout);
    if (r.code !== 0) {
      obs.induceError = `${from.id}: exit code ${r.code}: ${firstLine(r.stderr)}`;
      return;
    }
    const inducedAt = run.local(from, induced.clockMs) ?? (sent + received) / 2;
    obs.inducedAt = inducedAt;

    // 4. Measure: the backup MASTER and holding every VIP (polled on the node every 20 ms).
    const deadline = inducedAt + takeoverTimeoutMs;
    for (;;) {
      const remaining = deadline - clock();
      if (remaining <= 0) break;
      const w = await unlessAborted(run.waitVips(to, 'hold', remaining), signal);
      if (!w.met) break;
      const inst = w.facts.status?.instances.find((i) => i.name === hosts.masterInstance.name);
      if (to.engine === 'haup' && inst?.state !== 'MASTER') {
        await sleep(20);
        continue;
      }
      // The agent's own timestamp of its transition is exact; polling only confirms it (and the VIPs) up to
      // a tick later. Without a status file (keepalived), the poll is the measurement.
      obs.observedAt = w.at;
      const tr = inst?.lastTransition;
      const at = tr && tr.to === 'MASTER' ? run.local(to, Date.parse(tr.at)) : null;
      obs.transitionAt = at !== null && at >= inducedAt && w.at !== null && at <= w.at ? at : null;
      obs.takeoverAt = obs.transitionAt ?? w.at;
      break;
    }
    if (obs.takeoverAt === null) {
      log(`${pair.name} ${mode}: ${to.id} did not take over within ${Math.round(takeoverTimeoutMs)} ms`);
      return;
    }
    log(`${pair.name} ${mode}: ${to.id} took over after ${Math.round(obs.takeoverAt - inducedAt)} ms`);
    // Let the client see the new master (or give up after margin + 2 s).
    const end = obs.takeoverAt + ctx.marginMs + 2000;
    while (clock() < end) {
      const o = measureOutage([...probe.samples].sort((x, y) => x.t - y.t), inducedAt, from.id);
      if (o.firstGoodAfter !== null && clock() > o.firstGoodAfter + 100) break;
      await unlessAborted(sleep(20), signal);
    }
    obs.neighbour.after = await readNeighbour(pt.address);
  };

  try {
    await measure();
  } catch (err) {
    if (err instanceof Aborted) {
      obs.interrupted = true;
      log(`${pair.name} ${mode}: interrupted; restoring ${from.id}`);
    } else if (obs.inducedAt === null) {
      obs.induceError = (err as Error).message;
    } else {
      obs.induceError = obs.induceError ?? `measurement failed: ${(err as Error).message}`;
    }
  } finally {
    // 5. Restore, whatever happened above, when anything was touched.
    if (touched) {
      obs.restoreAt = clock();
      obs.restore = await restorePair(ctx, run, from, to, mode, induced, service, mdi, fromFacts?.pid ?? null, obs.takeoverAt !== null);
    }
    obs.samples = await probe.stop();
    await watch.stop();
  }
  if (!touched) {
    const why = vipSilent ?? (obs.interrupted ? 'interrupted: stopped before anything was touched' : `pre-check: ${obs.induceError ?? 'failed'}`);
    return notRun(pair.name, mode, 'fail', [why], who, expected);
  }
  if (obs.neighbour.after === null) obs.neighbour.after = await readNeighbour(pt.address);
  return modeResult(obs);
}

/**
 * Puts the pair back: the guarded service (check mode), then the old master's daemon as it ran before; then
 * checks the pair behaves as configured (preempt: the VIPs go back; nopreempt: they stay on the new master
 * for a whole Master_Down_Interval after the old one is ready) and ends with one holder and both daemons up.
 */
async function restorePair(
  ctx: FailoverContext,
  run: PairRun,
  from: HostModel,
  to: HostModel,
  mode: FailureMode,
  induced: InduceOutput | null,
  service: ServiceTarget | null,
  mdiMs: number,
  fromPid: number | null,
  tookOver: boolean,
): Promise<RestoreObservation> {
  const { pair, hosts, clock, log } = ctx;
  const problems: string[] = [];
  const expectedHolder = pair.preempt ? from.id : to.id;
  let agentStartedAt: number | null = null;
  let backAt: number | null = null;
  const t = (h: HostModel) => run.transport(h);
  const hint = `run "haup deploy ${ctx.model.file} --limit ${pair.name}" to put the pair back`;
  try {
    if (mode === 'check' && service !== null) {
      const r = await t(from).exec(serviceRestoreScript(target(from), service, induced?.exe ?? null), { timeoutMs: 60_000 });
      if (r.code !== 0) problems.push(`${from.id}: ${service.service} did not come back (exit code ${r.code}: ${firstLine(r.stderr)}); ${hint}`);
    }
    // A stopped (or stepped-aside) daemon may still be exiting: let it go before starting a new one.
    const stopping = mode !== 'check' || (tookOver && (pairCheck(from, pair)?.check.stepAside ?? false));
    const oldPid = induced?.pid ?? fromPid;
    const old = { pids: [...(oldPid === null ? [] : [oldPid]), ...(induced?.kids ?? [])], waitGoneMs: stopping ? 15_000 : 0 };
    const start = await t(from).exec(daemonStartScript(target(from), induced?.argv ?? null, old), { timeoutMs: 45_000 });
    const started = parseStartOutput(start.stdout);
    if (start.code !== 0) problems.push(`${from.id}: the ${from.engine === 'haup' ? 'agent' : 'keepalived'} did not start (exit code ${start.code}: ${firstLine(start.stderr)}); ${hint}`);
    else {
      agentStartedAt = clock();
      if (started.started !== 'no') log(`${pair.name} ${mode}: restarted the ${from.engine === 'haup' ? 'agent' : 'daemon'} on ${from.id} (pid ${started.pid ?? '?'})`);
    }
    // The restarted daemon is ready when it runs and (agent) reports the pair's instance as BACKUP or MASTER.
    const readyBy = clock() + 15_000 + mdiMs;
    let ready = false;
    while (problems.length === 0 && clock() < readyBy) {
      const o = await run.observe(from);
      const inst = o.facts.status?.instances.find((i) => i.name === hosts.masterInstance.name);
      if (!o.facts.running) {
        if (started.pid !== null && o.facts.pid === started.pid) break;
      } else if (from.engine !== 'haup' || inst?.state === 'BACKUP' || inst?.state === 'MASTER') {
        ready = true;
        break;
      }
      await sleep(100);
    }
    if (problems.length === 0 && !ready) problems.push(`${from.id}: the restarted daemon did not become ready (see its log${from.paths.log ? ` ${from.paths.log}` : ''}); ${hint}`);
    if (problems.length === 0) {
      if (pair.preempt) {
        const w = await run.waitVips(from, 'hold', 2 * mdiMs + 5000);
        if (w.met) {
          backAt = w.at;
          const rel = await run.waitVips(to, 'release', 3000);
          if (!rel.met) problems.push(`split-brain: ${to.id} still holds the VIPs after ${from.id} took them back`);
        } else problems.push(`preempt-not-honoured: ${from.id} did not take the VIPs back within ${Math.round(2 * mdiMs + 5000)} ms although preempt is on`);
      } else {
        // nopreempt: the returning node must not take the VIPs back, even after a whole Master_Down_Interval.
        const w = await run.waitVips(from, 'hold', mdiMs + 500);
        if (w.met) problems.push(`nopreempt-not-honoured: ${from.id} took the VIPs back although nopreempt is set`);
      }
    }
  } catch (err) {
    problems.push(`${(err as Error).message}; ${hint}`);
  }
  // The final word: both daemons up, exactly one holder, the expected one.
  const [a, b] = await Promise.all([run.observeOrNull(from), run.observeOrNull(to)]);
  const mf = from.id === hosts.master.id ? a : b;
  const bf = from.id === hosts.master.id ? b : a;
  const final = precheckPair({ ...pair, preempt: false }, hosts, mf.facts, bf.facts);
  let holder: string | null = null;
  if (final.ok) {
    holder = final.from.id;
    if (holder !== expectedHolder && !problems.some((p) => p.includes('-not-honoured'))) problems.push(`the VIPs ended on ${holder}, not on ${expectedHolder}`);
  } else {
    for (const p of final.problems) if (!problems.includes(p)) problems.push(p);
    for (const e of [a.error, b.error]) if (e) problems.push(e);
  }
  log(`${pair.name} ${mode}: restore ${problems.length === 0 ? `done; ${holder ?? '?'} holds the VIPs` : `FAILED: ${problems.join('; ')}`}`);
  return { ok: problems.length === 0, problems, holder, expectedHolder, preempt: pair.preempt, agentStartedAt, backAt };
}
