// Track-script rise/fall hysteresis and the effective priority / fault state they give an instance (keepalived semantics).
//
// Counting follows keepalived's vrrp_script_child_thread: `result` runs from 0 to rise+fall-1 and
// the script is up while result >= rise. Starting at rise-1 ("init"), one success brings it up and
// one failure takes it down; after that it needs `rise` successes in a row to come up and `fall`
// failures in a row to go down.

export type CheckStatus = 'init' | 'up' | 'down';

export interface CheckCounter {
  rise: number;
  fall: number;
  result: number;
  status: CheckStatus;
}

/** A fresh counter; `initFail` (keepalived init_fail) starts it down instead of undecided. */
export function createCheck(rise: number, fall: number, initFail = false): CheckCounter {
  return initFail ? { rise, fall, result: 0, status: 'down' } : { rise, fall, result: rise - 1, status: 'init' };
}

/** Feeds one script outcome; `changed` is set when the script went up or down. */
export function recordResult(c: CheckCounter, success: boolean): { check: CheckCounter; changed: 'up' | 'down' | null } {
  const max = c.rise + c.fall - 1;
  if (success) {
    if (c.result < c.rise - 1) return { check: { ...c, result: c.result + 1 }, changed: null };
    const changed = c.status === 'up' ? null : 'up';
    return { check: { ...c, result: max, status: 'up' }, changed };
  }
  if (c.result > c.rise) return { check: { ...c, result: c.result - 1 }, changed: null };
  const changed = c.status === 'down' ? null : 'down';
  return { check: { ...c, result: 0, status: 'down' }, changed };
}

/** One thing an instance tracks (a vrrp_script or an interface) with the weight that use gives it. */
export interface Tracked {
  /** Fault source name for the state machine, e.g. "script:chk_nginx" or "interface:eth1". */
  source: string;
  weight: number;
  reverse: boolean;
  /** 'init' = no result yet. Interfaces are 'up' or 'down'. */
  status: CheckStatus;
}

export interface Health {
  /** Base priority plus weights, clamped to 1..254; the address owner (255) is never changed. */
  priority: number;
  /** Weight-0 tracks that are failing (or up, with reverse): the instance must be in FAULT. */
  faults: string[];
  /** Weight-0 tracks with no result yet: keepalived keeps the instance out of BACKUP until they report. */
  pending: string[];
}

/**
 * Effective priority and fault sources (keepalived vrrp_track.c): a positive weight is added while
 * the track is up, a negative weight is added (subtracted) while it is down, `reverse` flips the
 * direction; weight 0 means the instance goes to FAULT while the track is down (up, with reverse).
 */
export function health(basePriority: number, tracks: readonly Tracked[]): Health {
  let total = basePriority;
  const faults: string[] = [];
  const pending: string[] = [];
  for (const t of tracks) {
    if (t.status === 'init') {
      if (t.weight === 0) pending.push(t.source);
      continue;
    }
    const up = t.status === 'up';
    if (t.weight === 0) {
      if (up === t.reverse) faults.push(t.source);
      continue;
    }
    const sign = t.reverse ? -1 : 1;
    if (t.weight > 0 && up) total += sign * t.weight;
    if (t.weight < 0 && !up) total += sign * t.weight;
  }
  const priority = basePriority === 255 ? 255 : Math.min(254, Math.max(1, total));
  return { priority, faults, pending };
}
