// `haup lab up`: namespaces joined by a bridge, each a host with its own sshd, nginx and private dirs.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HaupError } from '../errors.js';
import { knownHostsText } from './access.js';
import { inventoryFragment } from './inventory-fragment.js';
import { DEFAULT_LAB_SUBNET, chooseSubnet, formatNet, labAddresses, overlaps, parseCidr, type Ipv4Net } from './addressing.js';
import { labLeftovers, otherLabSubnets, routedNets } from './discover.js';
import { labDown } from './down.js';
import { hostInitScript, hostPageText, nginxConfig, sshdConfig, type HostSpec } from './host-files.js';
import { generateEd25519 } from './keys.js';
import { withLabLock } from './lock.js';
import {
  DEFAULT_HOST_COUNT,
  DEFAULT_LAB_NAME,
  LAB_STATE_ROOT,
  bridgeName,
  hostCountProblem,
  hostName,
  labNameProblem,
  namespaceName,
  vethName,
} from './names.js';
import { setupBatch } from './net-plan.js';
import { PRIVATE_MOUNTS, ROOT_DOTFILES, labPaths, type LabPaths } from './paths.js';
import { runChecked } from './proc.js';
import { readPidFile, startHosts, waitReady } from './boot.js';
import { readLabState, writeLabState, type LabState } from './state.js';
import { labStatus, type LabStatus } from './status.js';
import { preflightLab, type LabTools } from './tools.js';

export type Progress = (line: string) => void;

export interface LabUpOptions {
  readonly name?: string;
  /** Default 2 when creating; when omitted, an existing lab of any size counts as "already up". */
  readonly hosts?: number;
  readonly subnet?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: Progress;
  /** Aborting (Ctrl-C) stops `up` and removes what it created. */
  readonly signal?: AbortSignal;
  readonly readyTimeoutMs?: number;
}

export interface LabUpResult {
  readonly status: LabStatus;
  /** The lab was already up with the requested shape; nothing was changed. */
  readonly alreadyUp: boolean;
  readonly inventory: string;
  readonly timings: { readonly [step: string]: number };
}

type Reservation = { kind: 'new'; state: LabState } | { kind: 'existing'; state: LabState | string };

export async function labUp(opts: LabUpOptions = {}): Promise<LabUpResult> {
  const name = opts.name ?? DEFAULT_LAB_NAME;
  const progress = opts.progress ?? (() => undefined);
  const usage = [labNameProblem(name), opts.hosts === undefined ? undefined : hostCountProblem(opts.hosts)];
  const requested = opts.subnet === undefined ? undefined : parseCidr(opts.subnet);
  if (typeof requested === 'string') usage.push(`--subnet ${requested}`);
  const problems = usage.filter((p): p is string => p !== undefined);
  if (problems.length > 0) throw new HaupError('HAUP_USAGE', problems.join('; '), { hint: 'see "haup lab up --help"' });

  const subnet = typeof requested === 'string' ? undefined : requested;

  const tools = preflightLab('haup lab up', opts.env);
  const paths = labPaths(name);
  const reservation = await withLabLock(LAB_STATE_ROOT, () => reserve(tools, paths, name, opts.hosts ?? DEFAULT_HOST_COUNT, subnet, progress));
  if (reservation.kind === 'existing') return existingLab(name, reservation.state, opts, paths);

  const started = Date.now();
  try {
    return await build(tools, paths, reservation.state, opts, progress);
  } catch (err) {
    progress(`lab ${name}: up failed after ${seconds(Date.now() - started)}, removing what it created`);
    try {
      await labDown({ name, env: opts.env });
    } catch (cleanupErr) {
      progress(`lab ${name}: cleanup failed too: ${(cleanupErr as Error).message}`);
    }
    if (err instanceof HaupError) throw err;
    throw new HaupError('HAUP_LAB_FAILED', `lab ${name}: up failed: ${(err as Error).message}`, { cause: err });
  }
}

/** Under the lock: either the existing state, or a fresh subnet recorded in a new state.json. */
async function reserve(
  tools: LabTools,
  paths: LabPaths,
  name: string,
  hosts: number,
  requested: Ipv4Net | undefined,
  progress: Progress,
): Promise<Reservation> {
  const existing = readLabState(paths.state);
  if (existing !== undefined) return { kind: 'existing', state: existing };
  const leftovers = await labLeftovers(tools, name);
  const found = [...leftovers.namespaces, ...leftovers.links];
  if (found.length > 0) {
    throw new HaupError('HAUP_LAB_EXISTS', `lab ${name} has leftovers but no state: ${found.slice(0, 5).join(', ')}${found.length > 5 ? ', ...' : ''}`, {
      hint: `remove them with "haup lab down --name ${name}", then run up again`,
    });
  }
  const routes = await routedNets(tools);
  const labs = otherLabSubnets(LAB_STATE_ROOT, name);
  let net: Ipv4Net;
  if (requested) {
    const clash = [
      ...routes.filter((r) => overlaps(r, requested)).map((r) => `the route to ${formatNet(r)}`),
      ...labs.filter((l) => overlaps(l.net, requested)).map((l) => `lab ${l.lab} (${formatNet(l.net)})`),
    ];
    if (clash.length > 0) {
      throw new HaupError('HAUP_USAGE', `--subnet ${formatNet(requested)} overlaps ${clash.join(', ')}`, {
        hint: 'choose a subnet this machine does not use, or leave --subnet out to get a free one',
      });
    }
    net = requested;
  } else {
    const chosen = chooseSubnet([...routes, ...labs.map((l) => l.net)], { isDefaultLab: name === DEFAULT_LAB_NAME });
    if (!chosen) throw new HaupError('HAUP_LAB_FAILED', 'no free /24 left in 10.254.0.0/16', { hint: 'pass --subnet with a free network' });
    if (name === DEFAULT_LAB_NAME && formatNet(chosen) !== formatNet(DEFAULT_LAB_SUBNET)) {
      progress(`note: ${formatNet(DEFAULT_LAB_SUBNET)} is in use here, so lab ${name} gets ${formatNet(chosen)}: inventories written for the default addresses will not match`);
    }
    net = chosen;
  }
  const addresses = labAddresses(net, hosts);
  if (typeof addresses === 'string') throw new HaupError('HAUP_USAGE', addresses);
  // A state dir without state.json holds nothing alive (no leftovers above): start it afresh.
  rmSync(paths.stateDir, { recursive: true, force: true });
  const state: LabState = {
    version: 1,
    name,
    phase: 'creating',
    subnet: addresses.subnet,
    prefix: addresses.prefix,
    workstation: addresses.workstation,
    bridge: bridgeName(name),
    createdAt: new Date().toISOString(),
    hosts: addresses.hosts.map((address, i) => ({
      index: i + 1,
      name: hostName(i + 1),
      address,
      ns: namespaceName(name, i + 1),
      veth: vethName(name, i + 1),
    })),
  };
  writeLabState(paths.state, state);
  return { kind: 'new', state };
}

async function existingLab(name: string, state: LabState | string, opts: LabUpOptions, paths: LabPaths): Promise<LabUpResult> {
  const downFirst = `run "haup lab down --name ${name}" first`;
  if (typeof state === 'string') {
    throw new HaupError('HAUP_LAB_EXISTS', `lab ${name} exists but ${paths.state} is unreadable: ${state}`, { hint: downFirst });
  }
  if (state.phase !== 'up') {
    throw new HaupError('HAUP_LAB_EXISTS', `lab ${name} is being created by another command, or its up failed midway`, { hint: downFirst });
  }
  if (opts.hosts !== undefined && opts.hosts !== state.hosts.length) {
    throw new HaupError('HAUP_LAB_EXISTS', `lab ${name} is already up with ${state.hosts.length} hosts, not ${opts.hosts}`, {
      hint: `${downFirst}, or use another --name`,
    });
  }
  const requested = opts.subnet === undefined ? undefined : parseCidr(opts.subnet);
  if (requested !== undefined && typeof requested !== 'string' && formatNet(requested) !== state.subnet) {
    throw new HaupError('HAUP_LAB_EXISTS', `lab ${name} is already up on ${state.subnet}, not ${formatNet(requested)}`, { hint: downFirst });
  }
  const status = labStatus({ name, env: opts.env });
  const broken = status.hosts.filter((h) => !h.sshdRunning || !h.nginxRunning).map((h) => h.name);
  if (broken.length > 0) {
    throw new HaupError('HAUP_LAB_EXISTS', `lab ${name} is up but not healthy: ${broken.join(', ')} not fully running`, { hint: `${downFirst}, then up again` });
  }
  return { status, alreadyUp: true, inventory: readFileSync(paths.inventory, 'utf8'), timings: {} };
}

async function build(tools: LabTools, paths: LabPaths, state: LabState, opts: LabUpOptions, progress: Progress): Promise<LabUpResult> {
  const timings: Record<string, number> = {};
  const step = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    opts.signal?.throwIfAborted();
    const t0 = Date.now();
    const out = await fn();
    timings[label] = Date.now() - t0;
    progress(`lab ${state.name}: ${label} (${seconds(timings[label])})`);
    return out;
  };
  progress(`lab ${state.name}: ${state.hosts.length} host(s) on ${state.subnet}, workstation ${state.workstation} on ${state.bridge}`);

  const inventory = await step('keys and host files', async () => writeHostFiles(tools, paths, state));
  await step('network', async () => {
    await runChecked(tools.ip, ['-batch', '-'], {
      input: setupBatch({ lab: state.name, hosts: state.hosts.length, workstation: state.workstation, prefix: state.prefix }),
      what: 'creating the lab network',
    });
  });
  await step('hosts started', () => startHosts(tools, paths, state));
  await step('hosts ready', () => waitReady(paths, state, { timeoutMs: opts.readyTimeoutMs ?? 30_000 + 500 * state.hosts.length, signal: opts.signal }));

  for (const host of state.hosts) {
    const pid = host.sshdPid === undefined ? undefined : readPidFile(`/proc/${host.sshdPid}/root/run/nginx.pid`);
    if (pid !== undefined) host.nginxPid = pid;
  }
  state.phase = 'up';
  writeLabState(paths.state, state);
  return { status: labStatus({ name: state.name, env: opts.env }), alreadyUp: false, inventory, timings };
}

/** Lab key, per-host key and configs, the mountpoints, known_hosts and the inventory fragment. */
function writeHostFiles(tools: LabTools, paths: LabPaths, state: LabState): string {
  mkdirSync(paths.stateDir, { recursive: true, mode: 0o755 });
  const labKey = generateEd25519(`haup-lab-${state.name}`);
  writeFileSync(paths.key, labKey.privateKey, { mode: 0o600 });
  writeFileSync(`${paths.key}.pub`, `${labKey.publicKey}\n`, { mode: 0o644 });
  writeFileSync(paths.authorizedKeys, `${labKey.publicKey}\n`, { mode: 0o644 });
  // The bind mounts need their mountpoints in the real root (they stay empty there).
  for (const m of PRIVATE_MOUNTS) mkdirSync(m.target, { recursive: true, mode: 0o755 });
  const ipv6 = existsSync('/proc/net/if_inet6');

  for (const host of state.hosts) {
    const hp = paths.host(host.index);
    for (const m of PRIVATE_MOUNTS) mkdirSync(hp.mountSource(m.source), { recursive: true, mode: 0o755 });
    mkdirSync(`${hp.mountSource('var-log')}/nginx`, { recursive: true, mode: 0o755 });
    mkdirSync(hp.www, { recursive: true, mode: 0o755 });
    chmodSync(hp.mountSource('root-home'), 0o700);
    for (const f of ROOT_DOTFILES) if (existsSync(f.from)) copyFileSync(f.from, join(hp.mountSource('root-home'), f.to));
    const hostKey = generateEd25519(`root@${host.name}`);
    writeFileSync(hp.hostKey, hostKey.privateKey, { mode: 0o600 });
    writeFileSync(`${hp.hostKey}.pub`, `${hostKey.publicKey}\n`, { mode: 0o644 });
    host.hostKeyPub = hostKey.publicKey;
    const spec: HostSpec = { lab: state.name, name: host.name, address: host.address, prefix: state.prefix };
    writeFileSync(hp.sshdConfig, sshdConfig(spec, hp, paths.authorizedKeys), { mode: 0o644 });
    writeFileSync(hp.nginxConfig, nginxConfig(spec, hp, { ipv6 }), { mode: 0o644 });
    writeFileSync(`${hp.www}/index.html`, hostPageText(host.name), { mode: 0o644 });
    writeFileSync(hp.initScript, hostInitScript(spec, hp, tools), { mode: 0o755 });
  }

  const hosts = state.hosts.map((h) => ({ name: h.name, address: h.address, hostKeyPub: h.hostKeyPub ?? '', nginxConfig: paths.host(h.index).nginxConfig }));
  writeFileSync(paths.knownHosts, knownHostsText(hosts), { mode: 0o644 });
  const inventory = inventoryFragment({
    name: state.name,
    subnet: state.subnet,
    workstation: state.workstation,
    bridge: state.bridge,
    keyPath: paths.key,
    knownHostsPath: paths.knownHosts,
    nginx: tools.nginx,
    hosts,
  });
  writeFileSync(paths.inventory, inventory, { mode: 0o644 });
  writeLabState(paths.state, state);
  return inventory;
}

function seconds(ms: number | undefined): string {
  return `${((ms ?? 0) / 1000).toFixed(2)} s`;
}
