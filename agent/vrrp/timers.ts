// VRRP timer values (Skew_Time, Master_Down_Interval) for v2 and v3, computed exactly as keepalived does.
//
// keepalived keeps timers in microseconds with integer arithmetic (vrrp.h VRRP_TIMER_SKEW_CALC); we
// do the same and return milliseconds, so our takeover instants match a keepalived peer's to the µs.

export type VrrpVersion = 2 | 3;

/** Master_Down_Interval = DOWN_TIMER_ADVERTS * Master_Adver_Interval + Skew_Time (RFC 3768 §6.1, RFC 5798 §6.1). */
export const DOWN_TIMER_ADVERTS = 3;

/**
 * Skew_Time in milliseconds.
 * - v2 (RFC 3768 §6.1): (256 - Priority) / 256 seconds.
 * - v3 (RFC 5798 §6.1): ((256 - Priority) * Master_Adver_Interval) / 256 centiseconds, where a backup
 *   uses the interval the master advertises (keepalived: master_adver_int, learned in backup state).
 * `priority` is the effective priority (keepalived uses effective_priority).
 */
export function skewTime(version: VrrpVersion, priority: number, masterAdverIntervalCs: number): number {
  const p = 256 - priority;
  const micros = version === 3 ? Math.floor((p * masterAdverIntervalCs * 625) / 16) : Math.floor((p * 1_000_000) / 256);
  return micros / 1000;
}

/** Master_Down_Interval in milliseconds: 3 * Master_Adver_Interval + Skew_Time. */
export function masterDownInterval(version: VrrpVersion, priority: number, masterAdverIntervalCs: number): number {
  return DOWN_TIMER_ADVERTS * masterAdverIntervalCs * 10 + skewTime(version, priority, masterAdverIntervalCs);
}

/** Advertisement_Interval in milliseconds from centiseconds. */
export function advertInterval(intervalCs: number): number {
  return intervalCs * 10;
}
