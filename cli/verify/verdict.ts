// Turns what one failover run observed into its result: times relative to the induced failure, the GARP
// check, the restore, and pass/fail with stable kebab-case reasons. Pure.
import type { NeighbourEntry } from './facts.js';
import type { NeighbourChange } from './neighbour.js';
import { judge, measureOutage, type Expected, type FailureMode, type Outage, type ProbeSample } from './measure.js';

export interface RestoreObservation {
  /** Everything the restore checked held: agents and service running, one holder, the expected one. */
  ok: boolean;
  problems: string[];
  /** Who holds the VIPs at the end. */
  holder: string | null;
  /** Who should: the configured master with preempt, the node that took over with nopreempt. */
  expectedHolder: string;
  preempt: boolean;
  /** When the old master's daemon was started again / when the VIP was back on it (preempt), our clock. */
  agentStartedAt: number | null;
  backAt: number | null;
}

export interface ModeObservation {
  pair: string;
  mode: FailureMode;
  /** The node that held the VIPs (failure induced there) and the one expected to take over. */
  from: string;
  to: string;
  probe: string;
  expected: Expected;
  marginMs: number;
  /**
   * Our clock (epoch ms) at the failure; at the takeover (the agent's transition, else when polling saw the
   * backup MASTER holding every VIP); when polling saw it; the agent's own transition time.
   */
  inducedAt: number | null;
  induceError: string | null;
  takeoverAt: number | null;
  observedAt: number | null;
  transitionAt: number | null;
  takeoverTimeoutMs: number;
  interrupted: boolean;
  samples: readonly ProbeSample[];
  restoreAt: number | null;
  neighbour: {
    before: NeighbourEntry | null | 'unavailable';
    after: NeighbourEntry | null | 'unavailable';
    changes: readonly NeighbourChange[];
    /** MACs of the old and new holder on the VIP's interface, when known. */
    fromMac: string | null;
    toMac: string | null;
  };
  restore: RestoreObservation | null;
}

export interface GarpResult {
  checked: boolean;
  /** This machine's entry for the VIP moved to the new master's MAC. */
  updated: boolean | null;
  before: string | null;
  after: string | null;
  expected: string | null;
  /** When the entry first changed to the new MAC, ms after the failure was induced. */
  atMs: number | null;
  note: string;
}

export interface ModeResult {
  pair: string;
  mode: FailureMode;
  from: string;
  to: string;
  probe: string;
  status: 'pass' | 'fail' | 'skipped';
  /** `reason-code: detail`, stable codes: see README "haup verify". Empty when passed. */
  reasons: string[];
  expected: { ms: number | null; bound: 'about' | 'at-most' | null; note: string | null };
  /** Failure induced -> the backup became MASTER (its agent's timestamp, clock offset corrected; else as polled). */
  takeoverMs: number | null;
  /** Failure induced -> the backup agent's own transition timestamp (clock offset corrected), if it has one. */
  agentTransitionMs: number | null;
  /** Failure induced -> polling on the backup (every 20 ms) saw it MASTER holding every VIP. */
  observedMs: number | null;
  outage: { ms: number | null; failedSamples: number; lastGoodMs: number | null; firstGoodMs: number | null; newHolder: string | null };
  garp: GarpResult;
  restore: (Omit<RestoreObservation, 'agentStartedAt' | 'backAt'> & { backMs: number | null; returnOutageMs: number | null }) | null;
  samples: number;
}

const rel = (t: number | null, t0: number | null): number | null => (t === null || t0 === null ? null : Math.round(t - t0));

export function garpResult(o: ModeObservation): GarpResult {
  const { before, after, changes, toMac } = o.neighbour;
  const base = { before: before !== null && before !== 'unavailable' ? before.lladdr : null, after: after !== null && after !== 'unavailable' ? after.lladdr : null, expected: toMac };
  if (before === 'unavailable' || after === 'unavailable') return { checked: false, updated: null, atMs: null, note: 'n/a: cannot run ip here', ...base };
  if (toMac === null) return { checked: false, updated: null, atMs: null, note: `n/a: ${o.to}'s MAC address is unknown`, ...base };
  if (before === null && after === null) return { checked: false, updated: null, atMs: null, note: 'n/a: no neighbour entry for the VIP here (not on a directly connected network)', ...base };
  const first = changes.find((c) => c.lladdr === toMac && (o.inducedAt === null || c.at >= o.inducedAt));
  const updated = base.after === toMac;
  return {
    checked: true,
    updated,
    atMs: first ? rel(first.at, o.inducedAt) : null,
    note: updated ? `entry moved to ${o.to} (${toMac})` : `entry still ${base.after ?? 'unresolved'}, not ${o.to} (${toMac})`,
    ...base,
  };
}

function outageOf(o: ModeObservation): Outage | null {
  if (o.inducedAt === null) return null;
  const end = o.restoreAt ?? Infinity;
  return measureOutage(o.samples.filter((s) => s.t < end), o.inducedAt, o.from);
}

/** The result of one run: measured times relative to the failure, and every reason it failed. */
export function modeResult(o: ModeObservation): ModeResult {
  const reasons: string[] = [];
  const expectedMs = o.expected.ms;
  const limit = expectedMs === null ? null : expectedMs + o.marginMs;
  const takeoverMs = rel(o.takeoverAt, o.inducedAt);
  const outage = outageOf(o);
  if (o.induceError !== null) reasons.push(`induce-failed: ${o.induceError}`);
  else if (o.interrupted && o.takeoverAt === null) reasons.push('interrupted: stopped before the backup took over');
  else if (o.takeoverAt === null) reasons.push(`no-takeover: ${o.to} did not become MASTER holding the VIPs within ${Math.round(o.takeoverTimeoutMs)} ms`);
  else if (limit !== null && takeoverMs !== null && takeoverMs > limit) {
    reasons.push(`takeover-late: ${takeoverMs} ms > expected ${Math.round(expectedMs ?? 0)} ms + margin ${o.marginMs} ms`);
  }
  if (outage && o.induceError === null && o.takeoverAt !== null && expectedMs !== null) {
    const v = judge(outage, expectedMs, o.marginMs);
    if (!v.pass) reasons.push(v.reason === 'service-never-recovered' ? `service-never-recovered: no good answer from ${o.to} through ${o.probe}` : v.reason);
  }
  const garp = garpResult(o);
  if (garp.checked && o.takeoverAt !== null && garp.updated === false) reasons.push(`garp-not-seen: this machine's neighbour entry for the VIP is ${garp.after ?? 'unresolved'}, not ${o.to}'s ${garp.expected ?? '?'}`);
  const r = o.restore;
  if (r === null) reasons.push('restore-failed: the restore did not run');
  else if (!r.ok) reasons.push(...r.problems.map((p) => `restore-failed: ${p}`));
  return {
    pair: o.pair,
    mode: o.mode,
    from: o.from,
    to: o.to,
    probe: o.probe,
    status: reasons.length === 0 ? 'pass' : 'fail',
    reasons,
    expected: o.expected.ms === null ? { ms: null, bound: null, note: o.expected.why } : { ms: Math.round(o.expected.ms), bound: o.expected.bound, note: null },
    takeoverMs,
    agentTransitionMs: rel(o.transitionAt, o.inducedAt),
    observedMs: rel(o.observedAt, o.inducedAt),
    outage: {
      ms: outage?.windowMs === null || outage === null ? null : Math.round(outage.windowMs),
      failedSamples: outage?.failedSamples ?? 0,
      lastGoodMs: rel(outage?.lastGoodBefore ?? null, o.inducedAt),
      firstGoodMs: rel(outage?.firstGoodAfter ?? null, o.inducedAt),
      newHolder: outage?.newHolder ?? null,
    },
    garp,
    restore: r === null ? null : restoreResult(o, r),
    samples: o.samples.length,
  };
}

function restoreResult(o: ModeObservation, r: RestoreObservation): NonNullable<ModeResult['restore']> {
  let returnOutageMs: number | null = null;
  if (r.preempt && o.restoreAt !== null && r.backAt !== null) {
    const after = o.samples.filter((s) => s.t >= (o.restoreAt as number));
    const out = measureOutage(after, r.agentStartedAt ?? (o.restoreAt as number), o.to);
    returnOutageMs = out.windowMs === null ? null : Math.round(out.windowMs);
  }
  return {
    ok: r.ok,
    problems: r.problems,
    holder: r.holder,
    expectedHolder: r.expectedHolder,
    preempt: r.preempt,
    backMs: rel(r.backAt, r.agentStartedAt),
    returnOutageMs,
  };
}

/** A run that did not happen (pre-check failed, or the mode cannot move the VIP). */
export function notRun(pair: string, mode: FailureMode, status: 'fail' | 'skipped', reasons: string[], who: { from: string; to: string; probe: string }, expected: Expected | null = null): ModeResult {
  return {
    pair,
    mode,
    ...who,
    status,
    reasons,
    expected: expected === null ? { ms: null, bound: null, note: null } : expected.ms === null ? { ms: null, bound: null, note: expected.why } : { ms: Math.round(expected.ms), bound: expected.bound, note: null },
    takeoverMs: null,
    agentTransitionMs: null,
    observedMs: null,
    outage: { ms: null, failedSamples: 0, lastGoodMs: null, firstGoodMs: null, newHolder: null },
    garp: { checked: false, updated: null, before: null, after: null, expected: null, atMs: null, note: 'not run' },
    restore: null,
    samples: 0,
  };
}
