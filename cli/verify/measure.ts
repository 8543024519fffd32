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
 * after the first failure following `inducedAt`).
 */
export function measureOutage(samples: readonly ProbeSample[], inducedAt: number, oldHolder: string | null): Outage {
  let lastGoodBefore: number | null = null;
  for (const s of samples) if (s.t <= inducedAt && s.ok) lastGoodBefore = s.t;
  const after = samples.filter((s) => s.t > inducedAt);
  let firstGoodAfter: number | null = null;
  let newHolder: string | null = null;
  let sawFailure = false;
  for (const s of after) {
    if (!s.ok) {
      sawFailure = true;
      continue;
    }
    const moved = s.node !== null && oldHolder !== null ? s.node !== oldHolder : sawFailure;
    if (moved) {
      firstGoodAfter = s.t;
      newHolder = s.node;
      break;
    }
    lastGoodBefore = s.t; // still served by the old master: the outage starts later
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

/**
 * How long a takeover should take for a mode: a graceful stop sends priority 0, so the backup waits only
 * Skew_Time; a kill waits Master_Down_Interval; a failed check stops the master's daemon after the
 * check's own detection time (interval * fall), then behaves like a graceful stop.
 */
export function expectedTakeoverMs(mode: FailureMode, p: { backupPriority: number; advertIntervalMs: number; checkIntervalMs: number; fall: number }): number {
  switch (mode) {
    case 'stop':
      return skewTimeMs(p.backupPriority, p.advertIntervalMs);
    case 'kill':
      return masterDownIntervalMs(p.backupPriority, p.advertIntervalMs);
    case 'check':
      return p.checkIntervalMs * p.fall + skewTimeMs(p.backupPriority, p.advertIntervalMs);
  }
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
