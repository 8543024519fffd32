// `haup verify`'s report: one table row per pair and mode (expected vs measured, outage, GARP, restore,
// pass/fail) with the reasons below it, and the same as JSON. Pure.
import { formatTable } from '../status/report.js';
import type { ModeResult } from './verdict.js';

export interface VerifyReport {
  ok: boolean;
  marginMs: number;
  results: ModeResult[];
}

export function verifyReport(results: readonly ModeResult[], marginMs: number): VerifyReport {
  return { ok: results.every((r) => r.status !== 'fail'), marginMs, results: [...results] };
}

const ms = (v: number | null): string => (v === null ? '-' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v} ms`);

function expectedCell(r: ModeResult): string {
  if (r.expected.ms === null) return '-';
  return r.expected.bound === 'at-most' ? `<= ${ms(r.expected.ms)}` : ms(r.expected.ms);
}

function outageCell(r: ModeResult): string {
  if (r.outage.ms === null) return r.takeoverMs === null || r.samples === 0 ? '-' : 'not recovered';
  return r.outage.failedSamples > 0 ? `${ms(r.outage.ms)} (${r.outage.failedSamples} failed)` : ms(r.outage.ms);
}

function garpCell(r: ModeResult): string {
  if (r.takeoverMs === null) return '-';
  if (!r.garp.checked) return r.garp.note === 'not run' ? '-' : 'n/a';
  if (!r.garp.updated) return 'NOT SEEN';
  return r.garp.atMs === null ? 'yes' : `yes (+${r.garp.atMs} ms)`;
}

function restoreCell(r: ModeResult): string {
  const x = r.restore;
  if (x === null) return r.status === 'skipped' ? '-' : 'not run';
  if (!x.ok) return 'FAILED';
  if (x.preempt) return x.backMs === null ? `back on ${x.holder ?? '?'}` : `back on ${x.holder ?? '?'} in ${ms(x.backMs)}`;
  return `stays on ${x.holder ?? '?'} (nopreempt)`;
}

export function formatVerify(report: VerifyReport): string[] {
  const rows: string[][] = [['pair', 'mode', 'failover', 'expected', 'takeover', 'client outage', 'GARP', 'restore', 'result']];
  for (const r of report.results) {
    rows.push([r.pair, r.mode, `${r.from} -> ${r.to}`, expectedCell(r), ms(r.takeoverMs), outageCell(r), garpCell(r), restoreCell(r), r.status === 'fail' ? 'FAIL' : r.status]);
  }
  const lines = formatTable(rows);
  for (const r of report.results) {
    for (const reason of r.reasons) lines.push(`${r.pair} ${r.mode}: ${reason}`);
    if (r.status === 'skipped' && r.expected.note) lines.push(`${r.pair} ${r.mode}: skipped: ${r.expected.note}`);
  }
  const failed = report.results.filter((r) => r.status === 'fail').length;
  const ran = report.results.filter((r) => r.status !== 'skipped').length;
  lines.push(failed === 0 ? `${ran} failover(s) verified (margin ${report.marginMs} ms)` : `${failed} of ${report.results.length} check(s) FAILED (margin ${report.marginMs} ms)`);
  return lines;
}
