// Turns a client probe's samples into what `haup verify` reports: the outage a client saw, and whether
// the takeover was on time for the pair's VRRP settings. Pure.

export interface ProbeSample {
  /** ms since the probe started */
  t: number;
  ok: boolean;
  /** Which node answered (the lab's nginx names it); null for TCP/ping probes or failures. */
  node: string | null;
}

export interface Outage {
  /** Last good answer before the failure was induced, from the old master (ms). */
  lastGoodBefore: number | null;
  /** First good answer after the failure from the new master (ms). */
  firstGoodAfter: number | null;
  /** firstGoodAfter - lastGoodBefore, or null if the service never came back during the probe. */
  windowMs: number | null;
  failedSamples: number;
  /** Node that answered after the takeover (HTTP probes). */
  newHolder: string | null;
}

/**
 * Outage = from the last good answer at or before `inducedAt` to the first good answer after it that came
 * from a node other than `oldHolder` (or, for probes that cannot tell nodes apart, any good answer
 * after the first failure following `inducedAt`). When such a probe saw no failure at all (a killed agent
 * leaves the old master serving until the new one's gratuitous ARP), the window is the first gap after
 * `inducedAt`, i.e. no interruption beyond the sampling interval.
 */
export function measureOutage(samples: readonly ProbeSample[], inducedAt: number, oldHolder: string | null): Outage {
  let lastGoodBefore: number | null = null;
  for (const s of samples) if (s.t <= inducedAt && s.ok) lastGoodBefore = s.t;
  const after = samples.filter((s) => s.t > inducedAt);
  const named = oldHolder !== null && after.some((s) => s.ok && s.node !== null);
  let firstGoodAfter: number | null = null;
  let newHolder: string | null = null;
  let sawFailure = false;
  for (const s of after) {
    if (!s.ok) {
      sawFailure = true;
      continue;
    }
    const moved = named ? s.node !== null && s.node !== oldHolder : sawFailure;
    if (moved) {
      firstGoodAfter = s.t;
      newHolder = s.node;
      break;
    }
    lastGoodBefore = s.t; // still served by the old master: the outage starts later
  }
  if (firstGoodAfter === null && !named && !sawFailure) {
    const first = after.find((s) => s.ok);
    if (first) {
      firstGoodAfter = first.t;
      lastGoodBefore = samples.filter((s) => s.ok && s.t < first.t).at(-1)?.t ?? first.t;
    }
  }
  const failedSamples = after.filter((s) => !s.ok && (firstGoodAfter === null || s.t < firstGoodAfter)).length;
  const windowMs = firstGoodAfter !== null && lastGoodBefore !== null ? firstGoodAfter - lastGoodBefore : null;
  return { lastGoodBefore, firstGoodAfter, windowMs, failedSamples, newHolder };
}

export type FailureMode = 'stop' | 'kill' | 'check';

/** RFC 5798 §6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256. */
export function skewTimeMs(backupPriority: number, advertIntervalMs: number): number {
  return ((256 - backupPriority) * advertIntervalMs) / 256;
}

/** RFC 5798 §6.1: Master_Down_Interval = (3 * Master_Adver_Interval) + Skew_Time. */
export function masterDownIntervalMs(backupPriority: number, advertIntervalMs: number): number {
  return 3 * advertIntervalMs + skewTimeMs(backupPriority, advertIntervalMs);
}

export interface CheckTiming {
  intervalMs: number;
  fall: number;
  weight: number;
  /** The check script stops the VRRP daemon itself when the service stays down (after one failing run). */
  stepAside: boolean;
  /** How long the script spends restarting and re-checking the service before it gives up (0: no restart). */
  recheckMs: number;
}

export interface TakeoverTiming {
  backupPriority: number;
  /** The master's priority after a failed check with a negative weight is master priority + weight. */
  masterPriority: number;
  advertIntervalMs: number;
  check: CheckTiming | null;
}

/** `about`: the protocol fixes the time; `at-most`: it depends on when a periodic check runs, so it is a bound. */
export type Expected = { ms: number; bound: 'about' | 'at-most' } | { ms: null; why: string };

/**
 * How long a takeover should take for a mode: a graceful stop sends priority 0, so the backup waits only
 * Skew_Time (RFC 5798 §6.4.2); a kill leaves the backup waiting Master_Down_Interval; a failed check first
 * needs the check to notice (its next run, then `fall` runs in a row, or the script's own restart and
 * re-check before it steps aside), then behaves like a stop (step aside, or weight 0: FAULT sends priority
 * 0) or, with a negative weight that drops the master below the backup, like a master whose adverts the
 * backup ignores (Master_Down_Interval).
 */
export function expectedTakeover(mode: FailureMode, p: TakeoverTiming): Expected {
  const skew = skewTimeMs(p.backupPriority, p.advertIntervalMs);
  const mdi = masterDownIntervalMs(p.backupPriority, p.advertIntervalMs);
  switch (mode) {
    case 'stop':
      return { ms: skew, bound: 'about' };
    case 'kill':
      // The backup's timer last restarted at the last advert before the kill: between one advert
      // interval less and the full Master_Down_Interval.
      return { ms: mdi, bound: 'at-most' };
    case 'check': {
      const c = p.check;
      if (c === null) return { ms: null, why: 'the pair has no check' };
      if (c.stepAside) return { ms: c.intervalMs + c.recheckMs + skew, bound: 'at-most' };
      const detect = c.intervalMs * c.fall + c.recheckMs;
      if (c.weight === 0) return { ms: detect + skew, bound: 'at-most' };
      if (c.weight < 0 && p.masterPriority + c.weight < p.backupPriority) return { ms: detect + mdi, bound: 'at-most' };
      return { ms: null, why: `a failed check (weight ${c.weight}) leaves the master at priority ${p.masterPriority + c.weight}, not below the backup's ${p.backupPriority}, so the VIP does not move` };
    }
  }
}

/** Kept for callers that only need the number (null when the mode cannot move the VIP). */
export function expectedTakeoverMs(mode: FailureMode, p: TakeoverTiming): number | null {
  return expectedTakeover(mode, p).ms;
}

export interface Verdict {
  pass: boolean;
  reason: string;
}

export function judge(outage: Outage, expectedMs: number, marginMs: number): Verdict {
  if (outage.firstGoodAfter === null) return { pass: false, reason: 'service-never-recovered' };
  if (outage.windowMs !== null && outage.windowMs > expectedMs + marginMs) {
    return { pass: false, reason: `outage-too-long: ${Math.round(outage.windowMs)} ms > expected ${Math.round(expectedMs)} ms + margin ${marginMs} ms` };
  }
  return { pass: true, reason: 'ok' };
}
