// `haup verify` step 5: put the pair back after a failover, and check it behaves as configured. Never throws:
// what went wrong comes back as problems, each with what to run by hand.
import type { HostModel } from '../inventory/model.js';
import { daemonStartScript, parseStartOutput, serviceRestoreScript, type InduceOutput, type ServiceTarget } from './induce.js';
import type { FailureMode } from './measure.js';
import { firstLine, sleep, target, type FailoverContext, type PairRun } from './pair-session.js';
import { pairCheck, precheckPair } from './precheck.js';
import type { RestoreObservation } from './verdict.js';

/**
 * Puts the pair back: the guarded service (check mode), then the old master's daemon as it ran before; then
 * checks the pair behaves as configured (preempt: the VIPs go back; nopreempt: they stay on the new master
 * for a whole Master_Down_Interval after the old one is ready) and ends with one holder, both daemons up, and
 * the client probe answered by the holder (a node that dropped a stale VIP may still own this machine's ARP
 * entry for it).
 */
export async function restorePair(
  ctx: FailoverContext,
  run: PairRun,
  from: HostModel,
  to: HostModel,
  mode: FailureMode,
  induced: InduceOutput | null,
  service: ServiceTarget | null,
  mdiMs: number,
  fromPid: number | null,
  tookOver: boolean,
  /** Null when the client probe gets answers from `holder`, else why not. */
  clientReaches: (holder: string) => Promise<string | null>,
): Promise<RestoreObservation> {
  const { pair, hosts, clock, log } = ctx;
  const problems: string[] = [];
  const expectedHolder = pair.preempt ? from.id : to.id;
  let agentStartedAt: number | null = null;
  let backAt: number | null = null;
  const t = (h: HostModel) => run.transport(h);
  const hint = `run "haup deploy ${ctx.model.file} --limit ${pair.name}" to put the pair back`;
  try {
    if (mode === 'check' && service !== null) {
      const r = await t(from).exec(serviceRestoreScript(target(from), service, induced?.exe ?? null), { timeoutMs: 60_000 });
      if (r.code !== 0) problems.push(`${from.id}: ${service.service} did not come back (exit code ${r.code}: ${firstLine(r.stderr)}); ${hint}`);
    }
    // A stopped (or stepped-aside) daemon may still be exiting: let it go before starting a new one.
    const stopping = mode !== 'check' || (tookOver && (pairCheck(from, pair)?.check.stepAside ?? false));
    const oldPid = induced?.pid ?? fromPid;
    const old = { pids: [...(oldPid === null ? [] : [oldPid]), ...(induced?.kids ?? [])], waitGoneMs: stopping ? 15_000 : 0 };
    const start = await t(from).exec(daemonStartScript(target(from), induced?.argv ?? null, old), { timeoutMs: 45_000 });
    const started = parseStartOutput(start.stdout);
    if (start.code !== 0) problems.push(`${from.id}: the ${from.engine === 'haup' ? 'agent' : 'keepalived'} did not start (exit code ${start.code}: ${firstLine(start.stderr)}); ${hint}`);
    else {
      agentStartedAt = clock();
      if (started.started !== 'no') log(`${pair.name} ${mode}: restarted the ${from.engine === 'haup' ? 'agent' : 'daemon'} on ${from.id} (pid ${started.pid ?? '?'})`);
    }
    // The restarted daemon is ready when it runs and (agent) reports the pair's instance as BACKUP or MASTER.
    const readyBy = clock() + 15_000 + mdiMs;
    let ready = false;
    while (problems.length === 0 && clock() < readyBy) {
      const o = await run.observe(from);
      const inst = o.facts.status?.instances.find((i) => i.name === hosts.masterInstance.name);
      if (!o.facts.running) {
        if (started.pid !== null && o.facts.pid === started.pid) break;
      } else if (from.engine !== 'haup' || inst?.state === 'BACKUP' || inst?.state === 'MASTER') {
        ready = true;
        break;
      }
      await sleep(100);
    }
    if (problems.length === 0 && !ready) problems.push(`${from.id}: the restarted daemon did not become ready (see its log${from.paths.log ? ` ${from.paths.log}` : ''}); ${hint}`);
    if (problems.length === 0) {
      if (pair.preempt) {
        const w = await run.waitVips(from, 'hold', 2 * mdiMs + 5000);
        if (w.met) {
          backAt = w.at;
          const rel = await run.waitVips(to, 'release', 3000);
          if (!rel.met) problems.push(`split-brain: ${to.id} still holds the VIPs after ${from.id} took them back`);
        } else problems.push(`preempt-not-honoured: ${from.id} did not take the VIPs back within ${Math.round(2 * mdiMs + 5000)} ms although preempt is on`);
      } else {
        // nopreempt: the returning node must not take the VIPs back, even after a whole Master_Down_Interval.
        const w = await run.waitVips(from, 'hold', mdiMs + 500);
        if (w.met) problems.push(`nopreempt-not-honoured: ${from.id} took the VIPs back although nopreempt is set`);
      }
    }
  } catch (err) {
    problems.push(`${(err as Error).message}; ${hint}`);
  }
  // The final word: both daemons up, exactly one holder, the expected one.
  const [a, b] = await Promise.all([run.observeOrNull(from), run.observeOrNull(to)]);
  const mf = from.id === hosts.master.id ? a : b;
  const bf = from.id === hosts.master.id ? b : a;
  const final = precheckPair({ ...pair, preempt: false }, hosts, mf.facts, bf.facts);
  let holder: string | null = null;
  if (final.ok) {
    holder = final.from.id;
    if (holder !== expectedHolder && !problems.some((p) => p.includes('-not-honoured'))) problems.push(`the VIPs ended on ${holder}, not on ${expectedHolder}`);
    // And from where the client stands: the VIP answers, from its holder.
    const unreachable = await clientReaches(holder);
    if (unreachable !== null) problems.push(unreachable);
  } else {
    for (const p of final.problems) if (!problems.includes(p)) problems.push(p);
    for (const e of [a.error, b.error]) if (e) problems.push(e);
  }
  log(`${pair.name} ${mode}: restore ${problems.length === 0 ? `done; ${holder ?? '?'} holds the VIPs` : `FAILED: ${problems.join('; ')}`}`);
  return { ok: problems.length === 0, problems, holder, expectedHolder, preempt: pair.preempt, agentStartedAt, backAt };
}
