// `haup verify`: for each selected pair, one real failover per mode, one pair and one mode at a time (never two
// nodes of a pair down at once); Ctrl-C stops measuring and restores the pair before exiting.
import { performance } from 'node:perf_hooks';
import { HaupError } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import type { Transport } from '../transport/transport.js';
import { Connections } from '../deploy/connect.js';
import { connectAll } from './connect.js';
import { describeProbe } from './client-probe.js';
import { vipAddress } from './facts.js';
import { runFailover } from './failover.js';
import type { FailureMode } from './measure.js';
import { formatVerify, verifyReport, type VerifyReport } from './report.js';
import { hostsOfPairs, pairHosts, parseLimitList, selectPairs } from './select.js';
import { notRun, type ModeResult } from './verdict.js';

export type VerifyMode = FailureMode | 'all';

export interface VerifyArgs {
  inventory: string;
  limit?: string[] | string;
  mode?: VerifyMode;
  margin?: number;
  json?: boolean;
  knownHosts?: string;
  trustNewHosts?: boolean;
}

export interface VerifyIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export const DEFAULT_MARGIN_MS = 500;
export const MODES: readonly FailureMode[] = ['stop', 'kill', 'check'];

/** Epoch milliseconds with sub-millisecond precision (monotonic within the run). */
export const epochClock = (): number => performance.timeOrigin + performance.now();

export async function runVerify(args: VerifyArgs, io: VerifyIo = { out: process.stdout, err: process.stderr }): Promise<VerifyReport> {
  const marginMs = args.margin ?? DEFAULT_MARGIN_MS;
  if (!Number.isFinite(marginMs) || marginMs < 0) throw new HaupError('HAUP_USAGE', `--margin ${String(args.margin)} is not a number of milliseconds >= 0`, { hint: 'e.g. --margin 500' });
  const modes = args.mode === undefined || args.mode === 'all' ? MODES : [args.mode];
  const { model, warnings } = await loadInventory(args.inventory);
  for (const w of warnings) io.err.write(`warning: ${w}\n`);
  const pairs = selectPairs(model, parseLimitList(args.limit), { hosts: false });
  const log = (line: string) => io.err.write(`${line}\n`);

  // Ctrl-C (or SIGTERM): stop measuring, restore, then exit non-zero. A second one leaves at once.
  const ac = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      log(`${sig}: stopping; restoring the pair under test first (${sig} again leaves it as it is)`);
      ac.abort();
    } else {
      log(`${sig} again: exiting without finishing the restore — check the pair with "haup status ${args.inventory}"`);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const conns = new Connections({ knownHosts: args.knownHosts, trustNewHosts: args.trustNewHosts ?? false });
  const results: ModeResult[] = [];
  try {
    const transports = await connectAll(conns, hostsOfPairs(model, pairs));
    for (const pair of pairs) {
      const hosts = pairHosts(model, pair);
      const probe = describeProbe({ ...pair.probe, address: vipAddress(pair.vips[0]?.address ?? ''), nodes: [] });
      const who = { from: pair.master.id, to: pair.backup.id, probe };
      const down = [hosts.master, hosts.backup].flatMap((h) => {
        const t = transports.get(h.id);
        return t instanceof HaupError ? [`pre-check: ${t.message}`] : [];
      });
      let skipRest: string | null = null;
      for (const mode of modes) {
        if (ac.signal.aborted) break;
        if (down.length > 0) {
          results.push(notRun(pair.name, mode, 'fail', down, who));
          continue;
        }
        if (skipRest !== null) {
          results.push(notRun(pair.name, mode, 'fail', [`not-run: ${skipRest}`], who));
          continue;
        }
        const ok = new Map<string, Transport>();
        for (const h of [hosts.master, hosts.backup]) ok.set(h.id, transports.get(h.id) as Transport);
        const r = await runFailover({ model, pair, hosts, transports: ok, marginMs, clock: epochClock, log, signal: ac.signal }, mode);
        results.push(r);
        log(`${pair.name} ${mode}: ${r.status === 'fail' ? `FAIL (${r.reasons.join('; ')})` : r.status}`);
        if (r.restore && !r.restore.ok) skipRest = `the restore after ${mode} failed, so the pair was not touched again`;
      }
      if (ac.signal.aborted) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await conns.closeAll();
  }

  const report = verifyReport(results, marginMs);
  if (args.json) io.out.write(`${JSON.stringify({ ...report, interrupted: ac.signal.aborted }, null, 2)}\n`);
  else io.out.write(`${formatVerify(report).join('\n')}\n`);
  if (ac.signal.aborted) {
    throw new HaupError('HAUP_VERIFY_FAILED', 'verify was interrupted', {
      details: results.filter((r) => r.restore).map((r) => `${r.pair} ${r.mode}: restore ${r.restore?.ok ? `ok, ${r.restore.holder ?? '?'} holds the VIPs` : `FAILED: ${r.restore?.problems.join('; ')}`}`),
      hint: `check the pairs with "haup status ${args.inventory}"`,
    });
  }
  if (!report.ok) {
    const failed = report.results.filter((r) => r.status === 'fail');
    throw new HaupError('HAUP_VERIFY_FAILED', `${failed.length} of ${report.results.length} failover check(s) failed`, {
      details: failed.flatMap((r) => r.reasons.map((x) => `${r.pair} ${r.mode}: ${x}`)),
      hint: 'pre-check failures touched nothing; a failed restore says what to run by hand',
    });
  }
  return report;
}
