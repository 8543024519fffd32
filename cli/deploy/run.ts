// The `haup deploy` handler: load and render (pure), connect every selected host and gather facts (one round trip
// each), plan, then deploy pair groups in parallel with progress, and print the report (text or --json).
import { HaupError } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import { ENGINE_PATHS, type HostModel } from '../inventory/model.js';
import { factProblems, planHost } from '../plan/plan.js';
import { factsScript, parseFacts, type HostFacts } from '../plan/facts.js';
import { renderHost, type RenderedFile } from '../render/render.js';
import { loadTemplates } from '../render/templates.js';
import { commandFailedError, type Transport } from '../transport/transport.js';
import { parseAgentStatus } from '../verify/facts.js';
import { componentSummary, formatReport } from '../ui/deploy-report.js';
import { runJobs, Semaphore, type ProgressMode } from '../ui/progress.js';
import { readAgentBundle } from './bundle.js';
import { Connections, type ConnectFlags } from './connect.js';
import type { DaemonSpec } from './daemon-scripts.js';
import { AGENT_ADDON_PATH, desiredFiles, type AgentBundle } from './desired.js';
import { fetchDiffs } from './diff-fetch.js';
import { DEFAULT_TIMEOUTS, HostRun, type Timeouts } from './host-run.js';
import { deployComponent, type ComponentWork } from './orchestrate.js';
import { finishReport, newHostReport, newPairReport, type DeployReport, type HostReport } from './report.js';
import { componentName, parseLimit, selectComponents, type Component } from './selection.js';

export interface DeployArgs extends ConnectFlags {
  inventory: string;
  check?: boolean | undefined;
  diff?: boolean | undefined;
  limit?: string[] | undefined;
  json?: boolean | undefined;
  concurrency?: number | undefined;
  templates?: string | undefined;
  agent?: string | undefined;
}

export interface DeployIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Progress display: default listr2 on a TTY, plain lines otherwise, nothing with --json. */
  progress?: ProgressMode;
  color?: boolean;
  /** Opens a host's transport (default: SSH); tests pass memory transports. */
  connect?: (h: HostModel) => Promise<Transport>;
  clock?: () => number;
  timeouts?: Timeouts;
}

interface Prepared {
  run: HostRun | null;
  blocked: HaupError | null;
}

/** Runs a deploy and returns its report; throws HAUP_DEPLOY_FAILED (exit 1) after printing when any pair failed. */
export async function runDeploy(args: DeployArgs, io: DeployIo): Promise<DeployReport> {
  const clock = io.clock ?? (() => performance.now());
  const started = clock();
  const { model, warnings } = await loadInventory(args.inventory);
  for (const w of warnings) io.err.write(`warning: ${w}\n`);
  if (args.concurrency !== undefined && (!Number.isInteger(args.concurrency) || args.concurrency < 1)) {
    throw new HaupError('HAUP_USAGE', `--concurrency ${args.concurrency} is not a whole number >= 1`, { hint: 'e.g. --concurrency 10' });
  }
  const components = selectComponents(model, parseLimit(args.limit));
  const hosts = components.flatMap((c) => c.hosts.filter((h) => c.selected.has(h.id)));
  const templates = await loadTemplates(args.templates ?? model.templatesDir);
  const rendered = new Map(hosts.map((h) => [h.id, renderHost(h, templates)]));
  const bundle = hosts.some((h) => h.engine === 'haup') ? await readAgentBundle(args.agent) : null;

  const reports = new Map(hosts.map((h) => [h.id, newHostReport(h)]));
  const connections = new Connections(args);
  const connect = io.connect ?? ((h: HostModel) => connections.connect(h));
  const progress: ProgressMode = io.progress ?? (args.json ? 'silent' : 'plain');
  const pairReports = components.flatMap((c) => c.pairs.map((p) => newPairReport(p, c.hosts)));
  const prepared = new Map<string, Prepared>();
  // Every host at once: connections are the cost to design around (issue 4). A group goes as soon as its own hosts
  // are prepared: a slow or unreachable host (a connect timeout) holds back only its own pairs.
  const preparing = new Map(
    hosts.map((h) => {
      const ready = prepareHost(h, rendered.get(h.id) as RenderedFile[], bundle, reports.get(h.id) as HostReport, { connect, clock, args, timeouts: io.timeouts ?? DEFAULT_TIMEOUTS, progress, io }).then((p) => {
        prepared.set(h.id, p);
      });
      ready.catch(() => undefined); // awaited below; a rejection before its group awaits it is not "unhandled"
      return [h.id, ready] as const;
    }),
  );
  try {
    // --concurrency bounds the groups being changed; their convergence waits (watching only) overlap freely.
    const slots = new Semaphore(args.concurrency ?? 10);
    const jobs = components.map((c) => ({
      title: componentName(c),
      run: async (log: (line: string) => void) => {
        await Promise.all([...c.selected].map((id) => preparing.get(id)));
        const work = componentWork(c, prepared, reports, pairReports);
        await deployComponent(work, { check: Boolean(args.check), clock, slot: slots, log: (host, line) => log(host === null ? line : `${host}: ${line}`) });
        const mine = c.hosts.filter((h) => c.selected.has(h.id)).map((h) => reports.get(h.id) as HostReport);
        return { ok: work.pairReports.every((p) => p.result !== 'failed'), summary: componentSummary(mine, Boolean(args.check)) };
      },
    }));
    await runJobs(jobs, { mode: progress, concurrency: Math.max(1, jobs.length), out: io.err });
    for (const p of preparing.values()) await p; // a failure prepareHost did not turn into a blocked host is a bug: say it
  } finally {
    await Promise.allSettled(preparing.values()); // no connection may open after closeAll
    for (const [id, p] of prepared) {
      const r = reports.get(id);
      if (r && p.run) r.roundTrips = p.run.roundTrips;
    }
    await connections.closeAll();
  }

  const report = finishReport({
    version: 1,
    inventory: model.file,
    mode: args.check ? 'check' : 'deploy',
    durationMs: Math.round(clock() - started),
    pairs: pairReports,
    hosts: [...reports.values()],
  });
  io.out.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, { color: io.color ?? false }));
  if (!report.ok) throw failure(report);
  return report;
}

function componentWork(c: Component, prepared: ReadonlyMap<string, Prepared>, reports: ReadonlyMap<string, HostReport>, pairReports: readonly ReturnType<typeof newPairReport>[]): ComponentWork {
  const runs = new Map<string, HostRun>();
  const blocked = new Map<string, HaupError>();
  for (const id of c.selected) {
    const p = prepared.get(id);
    if (p?.run) runs.set(id, p.run);
    else if (p?.blocked) blocked.set(id, p.blocked);
  }
  const names = new Set(c.pairs.map((p) => p.name));
  return { component: c, runs, blocked, hostReports: reports as Map<string, HostReport>, pairReports: pairReports.filter((p) => names.has(p.pair)) };
}

interface PrepareCtx {
  connect: (h: HostModel) => Promise<Transport>;
  clock: () => number;
  args: DeployArgs;
  timeouts: Timeouts;
  progress: ProgressMode;
  io: DeployIo;
}

/** Connect, facts (one round trip), fact checks, plan and (with --diff) the diffs. Failures block the host's pairs. */
async function prepareHost(h: HostModel, rendered: readonly RenderedFile[], bundle: AgentBundle | null, report: HostReport, ctx: PrepareCtx): Promise<Prepared> {
  const t0 = ctx.clock();
  let transport: Transport;
  try {
    transport = await ctx.connect(h);
  } catch (err) {
    return { run: null, blocked: asHaupError(err, h) };
  }
  report.timings.connectMs = Math.round(ctx.clock() - t0);
  const t1 = ctx.clock();
  let facts: HostFacts;
  const paths = [...rendered.map((f) => f.path), ...(h.engine === 'haup' && h.paths.agent ? [h.paths.agent, AGENT_ADDON_PATH] : [])];
  const rival = ENGINE_PATHS[h.engine === 'haup' ? 'keepalived' : 'haup'];
  const script = factsScript(paths, { stateFile: h.paths.stateFile, pidFile: h.paths.pidfile, rivalPidFile: rival.pidfile, addresses: h.engine === 'keepalived', node: h.engine === 'haup' });
  try {
    const res = await transport.exec(['sh', '-c', script], { sudo: true, ownScript: 'in-place' });
    if (res.code !== 0) throw commandFailedError(transport.name, ['sh', '-c', script], res, 'gathering facts');
    facts = parseFacts(res.stdout);
  } catch (err) {
    return { run: null, blocked: asHaupError(err, h) };
  }
  report.timings.factsMs = Math.round(ctx.clock() - t1);
  report.pidBefore = facts.agentPid;
  const problems = [
    ...factProblems(facts, { engine: h.engine, interfaces: [...new Set(h.instances.flatMap((i) => [i.interface, ...i.vips.map((v) => v.dev)]))] }),
    ...unitProblems(h, rendered, facts),
  ];
  if (problems.length > 0) {
    const err = new HaupError('HAUP_FACTS', `${transport.name}: ${problems.length === 1 ? problems[0] : `${problems.length} problems`}`, {
      details: problems.length === 1 ? [] : problems,
      hint: 'fix the host (or the inventory), then deploy again; nothing was changed',
    });
    return { run: null, blocked: err };
  }
  const desired = desiredFiles(h, rendered, bundle, facts.initSystem);
  const status = h.engine === 'haup' ? parseAgentStatus(facts.agentState) : null;
  const loaded = status && facts.agentPid !== null && status.pid === facts.agentPid ? { path: status.configFile, sha256: status.configHash } : undefined;
  const plan = planHost(desired, facts, loaded);
  report.changed = plan.writes.map((w) => w.path);
  report.unchanged = plan.unchanged;
  report.action = plan.service;
  report.reason = plan.reason;
  if (ctx.args.diff && plan.writes.length > 0) {
    try {
      report.diff = await fetchDiffs(transport, h, plan.writes, facts);
    } catch (err) {
      report.diff = `(no diff for ${h.id}: ${(err as Error).message})\n`;
    }
  }
  const spec: DaemonSpec = {
    engine: h.engine,
    init: facts.initSystem,
    paths: h.paths,
    nodePath: facts.nodePath ?? '/usr/bin/node',
    keepalivedPath: facts.keepalivedPath ?? '/usr/sbin/keepalived',
    shell: facts.bashPath ?? 'sh',
  };
  const rivalSpec: DaemonSpec = { ...spec, engine: h.engine === 'haup' ? 'keepalived' : 'haup', paths: rival };
  const run = new HostRun(h, facts, plan, report, { transport, spec, rival: rivalSpec, clock: ctx.clock, timeouts: ctx.timeouts });
  return { run, blocked: null };
}

/** Under systemd the rendered unit starts the agent with a fixed node path, which must be the host's node. */
export function unitProblems(h: HostModel, rendered: readonly RenderedFile[], facts: HostFacts): string[] {
  if (facts.initSystem !== 'systemd' || h.engine !== 'haup' || facts.nodePath === null) return [];
  const unit = rendered.find((f) => f.kind === 'unit');
  const exec = unit ? /^ExecStart=(\S+)/m.exec(unit.content)?.[1] : undefined;
  if (!exec || !/\/node$/.test(exec) || exec === facts.nodePath) return [];
  return [`the agent's unit starts ${exec}, but node on this host is ${facts.nodePath} — link it (ln -s ${facts.nodePath} ${exec}) or use your own haup-agent.service.hbs`];
}

function asHaupError(err: unknown, h: HostModel): HaupError {
  if (err instanceof HaupError) return err;
  return new HaupError('HAUP_SSH', `${h.id} (${h.host}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** The error main.ts prints after the report: which pairs failed and each host's error, with remote details. */
function failure(report: DeployReport): HaupError {
  const failed = report.pairs.filter((p) => p.result === 'failed');
  const details: string[] = [];
  for (const h of report.hosts) {
    if (!h.error) continue;
    details.push(`${h.host} (${h.result}): ${h.error.message}`, ...h.error.details.slice(0, 20).map((d) => `  ${d}`));
  }
  for (const p of failed) if (p.error && !report.hosts.some((h) => h.error && (h.host === p.master || h.host === p.backup))) details.push(`${p.pair}: ${p.error.message}`);
  return new HaupError('HAUP_DEPLOY_FAILED', `${failed.length} of ${report.pairs.length} pair${report.pairs.length === 1 ? '' : 's'} failed: ${failed.map((p) => p.pair).join(', ')}`, {
    details,
    hint: report.hosts.some((h) => h.result === 'rolled-back' || h.result === 'rollback-failed')
      ? 'the node that failed was rolled back to its previous files and daemon (see above); fix the cause and deploy again — the other pairs are done'
      : 'nothing was changed on the failed pairs; fix the cause and deploy again — the other pairs are done',
  });
}

