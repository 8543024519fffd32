// One real failover of one pair (issue 5 steps 1-5): pre-check, client probe, induce the failure on the node
// holding the VIPs, measure the takeover and what the client saw, then restore the pair, always.
import { describeProbe, startProbe, type ClientProbe, type ProbeTarget } from './client-probe.js';
import { vipAddress } from './facts.js';
import { failureScript, parseInduceOutput, serviceTarget, type InduceOutput, type ServiceTarget } from './induce.js';
import { expectedTakeover, measureOutage, type FailureMode } from './measure.js';
import { readNeighbour, watchNeighbour } from './neighbour.js';
import { Aborted, firstLine, PairRun, sleep, target, unlessAborted, type FailoverContext } from './pair-session.js';
import { pairCheck, pairMasterDownMs, precheckPair, takeoverTiming } from './precheck.js';
import { restorePair } from './restore.js';
import { modeResult, notRun, type ModeObservation, type ModeResult } from './verdict.js';

export type { FailoverContext } from './pair-session.js';

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
      const clientReaches = async (holder: string): Promise<string | null> => {
        if (await warmUp(probe, holder, 5, 3000, new AbortController().signal)) return null;
        const n = await readNeighbour(pt.address);
        const entry = n === 'unavailable' || n === null ? 'none' : (n.lladdr ?? 'unresolved');
        const holderMac = (holder === from.id ? fromFacts : toFacts)?.macs.get(pair.vips[0]?.dev ?? '') ?? '?';
        return `client-unreachable: ${probeName} gets no answer from ${holder} after the restore (this machine's neighbour entry for the VIP: ${entry}; ${holder}'s MAC: ${holderMac})`;
      };
      obs.restore = await restorePair(ctx, run, from, to, mode, induced, service, mdi, fromFacts?.pid ?? null, obs.takeoverAt !== null, clientReaches);
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

