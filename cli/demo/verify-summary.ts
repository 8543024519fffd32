// Reads `haup verify --json` ({ ok, marginMs, results: [...] }) into the demo's failover rows. Pure and
// forgiving: a field it cannot read becomes null, output that is not a verify report gives no rows.
import type { FailoverRow } from './report.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});

export function parseVerifyReport(json: string): FailoverRow[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return [];
  }
  const results = obj(data).results;
  if (!Array.isArray(results)) return [];
  return results.map((raw): FailoverRow => {
    const r = obj(raw);
    const expected = obj(r.expected);
    const status = str(r.status);
    const reasons = Array.isArray(r.reasons) ? r.reasons.filter((x): x is string => typeof x === 'string') : [];
    return {
      pair: str(r.pair) ?? '?',
      mode: str(r.mode) ?? '?',
      expectedMs: num(expected.ms),
      expectedAtMost: expected.bound === 'at-most',
      takeoverMs: num(r.takeoverMs),
      outageMs: num(obj(r.outage).ms),
      status: status === 'pass' || status === 'skipped' ? status : 'fail',
      reason: reasons[0] ?? (status === 'skipped' ? str(expected.note) : null),
    };
  });
}
