// `haup status`: one SSH round trip per node (connect, then one script), then the pure report.
import { HaupError } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import { Connections } from '../deploy/connect.js';
import { connectAll } from '../verify/connect.js';
import { nodeFactsScript, parseNodeFacts } from '../verify/node-facts.js';
import { hostsOfPairs, parseLimitList, selectPairs } from '../verify/select.js';
import type { HostModel } from '../inventory/model.js';
import type { Transport } from '../transport/transport.js';
import { formatStatus, statusReport, type HostAnswer, type StatusReport } from './report.js';

export interface StatusArgs {
  inventory: string;
  limit?: string[] | string;
  json?: boolean;
  knownHosts?: string;
  trustNewHosts?: boolean;
}

export interface StatusIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** Asks one node for its facts; any failure becomes the node's answer, never a throw. */
export async function askNode(t: Transport | HaupError, host: HostModel): Promise<HostAnswer> {
  if (t instanceof HaupError) return { ok: false, error: t.message };
  try {
    const r = await t.exec(nodeFactsScript(host), { sudo: false, timeoutMs: 15_000 });
    if (r.code !== 0) return { ok: false, error: `the status script exited with code ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` };
    return { ok: true, facts: parseNodeFacts(r.stdout) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Gathers and reports; throws HAUP_STATUS_FAILED (exit 1) after printing when a pair is not healthy. */
export async function runStatus(args: StatusArgs, io: StatusIo = { out: process.stdout, err: process.stderr }): Promise<StatusReport> {
  const { model, warnings } = await loadInventory(args.inventory);
  for (const w of warnings) io.err.write(`warning: ${w}\n`);
  const pairs = selectPairs(model, parseLimitList(args.limit), { hosts: true });
  const hosts = hostsOfPairs(model, pairs);
  const conns = new Connections({ knownHosts: args.knownHosts, trustNewHosts: args.trustNewHosts ?? false });
  let report: StatusReport;
  try {
    const transports = await connectAll(conns, hosts);
    const answers = new Map<string, HostAnswer>();
    await Promise.all(hosts.map(async (h) => answers.set(h.id, await askNode(transports.get(h.id) as Transport | HaupError, h))));
    report = statusReport(model, pairs, answers);
  } finally {
    await conns.closeAll();
  }
  if (args.json) io.out.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.out.write(`${formatStatus(report, Date.now()).join('\n')}\n`);
  if (!report.ok) {
    const bad = report.pairs.filter((p) => !p.ok);
    throw new HaupError('HAUP_STATUS_FAILED', `${bad.length} of ${report.pairs.length} pair(s) not healthy`, {
      details: bad.flatMap((p) => p.problems.map((pr) => `${p.name}: ${pr.message}`)),
      hint: 'split brain: check the link between the nodes and that both use the same VRID; no holder or agent down: run "haup deploy" again, or look at /var/log/haup/agent.log on the node',
    });
  }
  return report;
}
