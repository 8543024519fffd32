// The demo's closing report: what ran and how long it took, where each VIP is, the failover times verify
// measured against what VRRP promises, and how to look around (pure text).

export interface DemoStep {
  readonly name: string;
  readonly ms: number;
  readonly ok: boolean;
  readonly note: string;
}

export interface VipPlace {
  readonly pair: string;
  readonly vip: string;
  readonly master: string;
  readonly backup: string;
  /** Hosts whose kernel has the VIP (ip addr). */
  readonly holders: readonly string[];
  /** What an HTTP GET to the VIP returned, or null. */
  readonly answer: string | null;
}

export interface FailoverRow {
  readonly pair: string;
  readonly mode: string;
  readonly expectedMs: number | null;
  /** The expected time is an upper bound (a check failure: within the check's interval and retries). */
  readonly expectedAtMost: boolean;
  readonly takeoverMs: number | null;
  readonly outageMs: number | null;
  readonly status: 'pass' | 'fail' | 'skipped';
  readonly reason: string | null;
}

export interface DemoReport {
  readonly ok: boolean;
  readonly totalMs: number;
  readonly lab: { readonly name: string; readonly subnet: string; readonly hosts: number; readonly stateDir: string };
  readonly inventory: string;
  readonly steps: readonly DemoStep[];
  readonly vips: readonly VipPlace[];
  readonly failovers: readonly FailoverRow[];
  /** How the user types haup, e.g. `node dist/cli/haup.js`. */
  readonly cli: string;
  /** What happened to the lab at the end. */
  readonly labFate: 'kept' | 'removed' | 'kept-was-up';
  /** Namespace of the first pair's master, for the `ip netns exec` hint. */
  readonly masterNs: string | null;
}

export const seconds = (ms: number | null): string => (ms === null ? '-' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);

function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths = (rows[0] ?? []).map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  return rows.map((r) => indent + r.map((c, col) => c.padEnd(widths[col] ?? 0)).join('   ').trimEnd());
}

/** One line per pair: who holds the VIP by the kernel's word, and who answered the client. */
export function describeVip(v: VipPlace): string {
  const where =
    v.holders.length === 0
      ? 'is on no host'
      : v.holders.length > 1
        ? `is on ${v.holders.join(' AND ')} (split brain)`
        : `is on ${v.holders[0]}${v.holders[0] === v.master ? ' (the master)' : v.holders[0] === v.backup ? ' (the backup)' : ''}`;
  const answer = v.answer === null ? 'no HTTP answer' : `HTTP answers "${v.answer}"`;
  return `pair ${v.pair}: VIP ${v.vip} ${where}; ${answer}`;
}

export function formatDemoReport(r: DemoReport): string {
  const lines: string[] = [];
  lines.push('');
  lines.push(
    `haup demo ${r.ok ? 'finished' : 'FAILED'} in ${seconds(r.totalMs)}: lab "${r.lab.name}" (${r.lab.hosts} hosts on ${r.lab.subnet}), inventory ${r.inventory}`,
  );
  lines.push('');
  lines.push(...table([['STEP', 'TIME', 'RESULT'], ...r.steps.map((s) => [s.name, seconds(s.ms), `${s.ok ? 'ok' : 'FAILED'}${s.note ? `: ${s.note}` : ''}`])]));
  if (r.vips.length > 0) {
    lines.push('');
    lines.push(...r.vips.map((v) => `  ${describeVip(v)}`));
  }
  if (r.failovers.length > 0) {
    lines.push('');
    lines.push('  Failovers measured by haup verify (expected: Skew_Time for stop, Master_Down_Interval for kill):');
    lines.push(
      ...table(
        [
          ['PAIR', 'MODE', 'EXPECTED', 'TAKEOVER', 'CLIENT OUTAGE', 'RESULT'],
          ...r.failovers.map((f) => [
            f.pair,
            f.mode,
            `${f.expectedAtMost && f.expectedMs !== null ? '<= ' : ''}${seconds(f.expectedMs)}`,
            seconds(f.takeoverMs),
            seconds(f.outageMs),
            f.status === 'fail' ? `FAIL${f.reason ? `: ${f.reason}` : ''}` : `${f.status}${f.status === 'skipped' && f.reason ? `: ${f.reason}` : ''}`,
          ]),
        ],
        '    ',
      ),
    );
  }
  lines.push('');
  const first = r.vips[0];
  const hints: [string, string][] = [];
  if (r.labFate === 'removed') {
    hints.push([`sudo ${r.cli} demo`, 'run it again; without --no-keep the lab stays up to look around']);
  } else {
    if (first) hints.push([`curl http://${first.vip}/`, 'who answers through the VIP']);
    hints.push([`sudo ${r.cli} status ${r.inventory}`, 'agents, states and who holds each VIP']);
    hints.push([`sudo ${r.cli} verify ${r.inventory} --mode kill`, 'another failover, measured']);
    if (r.masterNs) hints.push([`sudo ip netns exec ${r.masterNs} ip -br addr`, "the master's addresses, VIP included"]);
    hints.push([`sudo ${r.cli} lab status${r.lab.name === 'lab' ? '' : ` --name ${r.lab.name}`}`, 'the lab hosts']);
    hints.push([`less ${r.lab.stateDir}/hosts/h1/var-log/haup/agent.log`, "h1's agent log (each host's /var/log lives there)"]);
    hints.push([`sudo ${r.cli} lab down${r.lab.name === 'lab' ? '' : ` --name ${r.lab.name}`}`, 'remove the lab when done']);
  }
  const fate =
    r.labFate === 'removed'
      ? 'The lab was removed (--no-keep).'
      : r.labFate === 'kept-was-up'
        ? 'The lab was already up before the demo and stays up. Look around:'
        : 'The lab stays up. Look around:';
  lines.push(fate);
  lines.push(...table(hints.map(([cmd, what]) => [cmd, `# ${what}`])));
  lines.push('');
  return lines.join('\n');
}
