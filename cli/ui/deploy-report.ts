// The human-readable end of a deploy: one block per pair (its hosts, what happened, how long), diffs with --diff,
// and a summary line. Pure: report in, text out.
import type { DeployReport, HostReport, PairReport } from '../deploy/report.js';

export interface FormatOptions {
  color: boolean;
}

const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`);

function hostLine(h: HostReport, pair: string, check: boolean): string {
  const role = h.roles[pair] ?? '?';
  const files = h.changed.length === 0 ? 'no files' : `${h.changed.length} file${h.changed.length === 1 ? '' : 's'}`;
  const action = h.action === 'none' ? 'no action' : check ? `would ${h.action}` : h.action;
  const time = [h.timings.pushMs, h.timings.serviceMs, h.timings.waitMs, h.timings.rollbackMs].reduce<number>((a, b) => a + (b ?? 0), 0);
  const states = Object.entries(h.states).map(([n, s]) => `${n} ${s}`).join(', ');
  return `  ${h.host.padEnd(14)} ${role.padEnd(6)} ${h.result.padEnd(15)} ${files.padEnd(9)} ${action.padEnd(14)} ${(check ? '' : seconds(time)).padStart(7)}${states ? `  ${states}` : ''}`;
}

function pairBlock(p: PairReport, hosts: readonly HostReport[], check: boolean, paint: (s: string, c: 'red' | 'green' | 'yellow') => string): string[] {
  const status = p.result === 'failed' ? paint('FAILED', 'red') : p.result === 'planned' ? paint('checked', 'yellow') : paint('ok', 'green');
  const conv = p.converged === null ? '' : p.converged ? ', VIP on the expected node' : ', NOT converged';
  const lines = [`${p.pair}: ${status}${conv}${p.timings.totalMs === null ? '' : ` (${seconds(p.timings.totalMs)})`}`];
  for (const id of [p.backup, p.master]) {
    const h = hosts.find((x) => x.host === id);
    if (h) lines.push(hostLine(h, p.pair, check));
  }
  for (const id of [p.backup, p.master]) {
    const h = hosts.find((x) => x.host === id);
    // Details (remote stderr, log lines) follow once, in the error printed after this report.
    if (h?.error) lines.push(`  ${paint(h.error.message, 'red')}`);
  }
  if (p.error && !hosts.some((h) => (h.host === p.master || h.host === p.backup) && h.error)) lines.push(`  ${paint(p.error.message, 'red')}`);
  return lines;
}

export function formatReport(r: DeployReport, opts: FormatOptions): string {
  const codes = { red: 31, green: 32, yellow: 33 } as const;
  const paint = (s: string, c: keyof typeof codes) => (opts.color ? `\x1b[${codes[c]}m${s}\x1b[39m` : s);
  const check = r.mode === 'check';
  const out: string[] = [];
  for (const h of r.hosts) if (h.diff) out.push(h.diff.trimEnd());
  for (const p of r.pairs) out.push(...pairBlock(p, r.hosts, check, paint));
  const failed = r.pairs.filter((p) => p.result === 'failed').length;
  const verb = check ? 'would change' : 'changed';
  out.push(
    `${check ? 'check' : 'deploy'}: ${r.pairs.length} pair${r.pairs.length === 1 ? '' : 's'}, ${failed === 0 ? paint('0 failed', 'green') : paint(`${failed} failed`, 'red')}; ` +
      `${r.changedHosts} host${r.changedHosts === 1 ? '' : 's'} ${verb} (${r.changedFiles} file${r.changedFiles === 1 ? '' : 's'}) in ${seconds(r.durationMs)}`,
  );
  return `${out.join('\n')}\n`;
}

/** The one-line summary of a finished pair group, for the progress display. */
export function componentSummary(hosts: readonly HostReport[], check: boolean): string {
  const parts = hosts.map((h) => {
    if (h.result === 'unchanged') return `${h.host} unchanged`;
    if (h.result === 'planned') return `${h.host} would ${h.action === 'none' ? 'write' : h.action} (${h.changed.length} file${h.changed.length === 1 ? '' : 's'})`;
    if (h.result === 'changed') return `${h.host} ${h.action === 'none' ? 'written' : `${h.action}ed`}`;
    return `${h.host} ${h.result}`;
  });
  return parts.join(', ') || (check ? 'nothing to check' : 'nothing to do');
}
