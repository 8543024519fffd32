// `haup demo`: preflight, lab up, deploy, status, verify, then a short report — each haup command runs
// as its own process so the user sees exactly what they would get typing it.
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { HaupError } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import type { InventoryModel } from '../inventory/model.js';
import { labDown } from '../lab/down.js';
import { labUp } from '../lab/up.js';
import type { LabStatus } from '../lab/status.js';
import type { LabTools } from '../lab/tools.js';
import { haupInvocation, runHaup } from './haup-process.js';
import { chooseInventory } from './inventory-choice.js';
import { exampleLabInventory, preflightDemo } from './preflight.js';
import { formatDemoReport, type DemoReport, type DemoStep, type FailoverRow, type VipPlace } from './report.js';
import { parseVerifyReport } from './verify-summary.js';
import { askVip, readHostAddresses, vipHolders } from './vip-location.js';

export type VerifyMode = 'stop' | 'kill' | 'check' | 'all';

export interface DemoArgs {
  readonly keep: boolean;
  readonly mode: VerifyMode;
  readonly lab: string;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

export async function runDemo(argv: DemoArgs): Promise<void> {
  const started = Date.now();
  // A Ctrl-C reaches the running haup command too (same process group), which cleans up after itself
  // (verify restores the pair); the demo stops `lab up` and starts no further step.
  let interrupted = false;
  const abort = new AbortController();
  const onInterrupt = () => {
    interrupted = true;
    abort.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onInterrupt);
  const interruptedError = () =>
    new HaupError('HAUP_DEMO_FAILED', 'interrupted (Ctrl-C)', { hint: `the lab is left as it is; run the demo again, or remove it with "haup lab down --name ${argv.lab}"` });
  const checkInterrupt = () => {
    if (interrupted) throw interruptedError();
  };

  const steps: DemoStep[] = [];
  const step = async <T>(name: string, command: string, fn: () => Promise<{ value: T; note: string }>): Promise<T> => {
    say(`\n==> ${command}`);
    const t0 = Date.now();
    try {
      const { value, note } = await fn();
      steps.push({ name, ms: Date.now() - t0, ok: true, note });
      return value;
    } catch (caught) {
      const err = interrupted ? interruptedError() : caught;
      steps.push({ name, ms: Date.now() - t0, ok: false, note: interrupted ? 'interrupted' : err instanceof HaupError ? err.code : 'internal error' });
      throw err;
    }
  };

  say('haup demo: two servers in a local lab, made highly available with haup, then failed over on purpose.');
  let lab: LabStatus | undefined;
  let created = false;
  let inventory = '';
  let model: InventoryModel | undefined;
  let failovers: FailoverRow[] = [];
  let vips: VipPlace[] = [];
  let tools: LabTools | undefined;
  let ok = false;
  let failure: unknown;
  try {
    tools = await step('preflight', 'preflight: root, lab programs, the built agent', async () => {
      const pre = preflightDemo();
      return { value: pre.tools, note: `root, lab programs, agent bundle in ${relative(process.cwd(), pre.agentDir) || '.'}` };
    });
    checkInterrupt();
    lab = await step('lab up', `haup lab up --name ${argv.lab}`, async () => {
      const res = await labUp({ name: argv.lab, progress: (line) => say(`    ${line}`), signal: abort.signal });
      created = !res.alreadyUp;
      return { value: res.status, note: res.alreadyUp ? `already up with ${res.status.hosts.length} hosts, reused` : `${res.status.hosts.length} hosts created` };
    });
    if (lab.hosts.length < 2) {
      throw new HaupError('HAUP_DEMO_FAILED', `lab ${lab.name} is up with ${lab.hosts.length} host, the demo needs 2`, {
        hint: `remove it with "haup lab down --name ${lab.name}" and run the demo again`,
      });
    }
    const choice = chooseInventory({ lab, example: exampleLabInventory(), exampleExists: existsSync(exampleLabInventory()), cwd: process.cwd() });
    inventory = choice.inventory;
    if (choice.why) say(`    ${choice.why}`);
    model = (await loadInventory(inventory)).model;
    checkInterrupt();
    await step('deploy', `haup deploy ${inventory}`, () => haupStep(['deploy', inventory], 'deploy'));
    checkInterrupt();
    await step('status', `haup status ${inventory}`, () => haupStep(['status', inventory], 'status'));
    checkInterrupt();
    failovers = await step(`verify --mode ${argv.mode}`, `haup verify ${inventory} --mode ${argv.mode}`, async () => {
      const run = await runHaup(['verify', inventory, '--mode', argv.mode, '--json'], { capture: true });
      const rows = parseVerifyReport(run.stdout);
      if (run.code !== 0) {
        failovers = rows;
        throw stepFailed('verify', run.code);
      }
      return { value: rows, note: `${rows.length} failover(s) measured` };
    });
    ok = true;
  } catch (err) {
    failure = err;
  } finally {
    process.off('SIGINT', onInterrupt);
  }

  if (lab && model && tools) vips = await locateVips(model, lab, tools.ip);
  let labFate: DemoReport['labFate'] = created ? 'kept' : 'kept-was-up';
  if (!argv.keep && created && lab) {
    await labDown({ name: lab.name, progress: (line) => say(`    ${line}`) });
    labFate = 'removed';
  }
  if (lab) {
    say(
      formatDemoReport({
        ok: ok && vips.every((v) => v.holders.length === 1 && v.holders[0] === v.master),
        totalMs: Date.now() - started,
        lab: { name: lab.name, subnet: lab.subnet, hosts: lab.hosts.length, stateDir: lab.stateDir },
        inventory,
        steps,
        vips,
        failovers,
        cli: haupInvocation(),
        labFate,
        masterNs: lab.hosts.find((h) => h.address === model?.pairs[0]?.master.host)?.ns ?? null,
      }),
    );
  }
  if (failure !== undefined) throw failure;
  const misplaced = vips.filter((v) => v.holders.length !== 1 || v.holders[0] !== v.master);
  if (misplaced.length > 0) {
    throw new HaupError('HAUP_DEMO_FAILED', `after verify, ${misplaced.map((v) => `the VIP of ${v.pair}`).join(', ')} is not on its master alone`, {
      hint: `see "haup status ${inventory}" and the agent logs under ${lab?.stateDir ?? '/var/lib/haup/lab'}/hosts/*/var-log/haup/`,
    });
  }
}

async function haupStep(args: string[], what: string): Promise<{ value: undefined; note: string }> {
  const run = await runHaup(args);
  if (run.code !== 0) throw stepFailed(what, run.code);
  return { value: undefined, note: '' };
}

function stepFailed(what: string, code: number): HaupError {
  return new HaupError('HAUP_DEMO_FAILED', `haup ${what} failed (exit ${code}); its messages are above`, {
    hint: 'fix what it says and run the demo again (a lab that is up is reused; deploy changes only what differs)',
  });
}

/** Every pair's VIP: which lab hosts hold it (kernel) and who answers HTTP on it. */
async function locateVips(model: InventoryModel, lab: LabStatus, ip: string): Promise<VipPlace[]> {
  const byAddress = new Map(lab.hosts.map((h) => [h.address, h]));
  const hosts = await Promise.all(lab.hosts.map(async (h) => ({ name: h.name, addresses: await readHostAddresses(ip, h.ns) })));
  const nameOf = (address: string) => byAddress.get(address)?.name ?? address;
  return Promise.all(
    model.pairs.map(async (p) => {
      const vip = p.vips[0]?.address ?? '';
      return {
        pair: p.name,
        vip,
        master: nameOf(p.master.host),
        backup: nameOf(p.backup.host),
        holders: vipHolders(hosts, vip),
        answer: p.probe.type === 'http' ? await askVip(vip, p.probe.port, p.probe.path) : null,
      };
    }),
  );
}
