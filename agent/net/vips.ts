// Virtual IP addresses and interface facts: iproute2 (`ip addr add/del`, `ip -j addr show`) and, in-process, the addon's rtnetlink calls.
import { childProcess } from '../builtins.js';
import { ipBytes, ipFamily } from './address.js';
import { decodeInterface } from './netlink.js';
import { loadAddon, tryLoadAddon } from './socket.js';

export interface Vip {
  address: string;
  prefix: number;
  dev: string;
  /** IPv4 only (like keepalived's `label eth0:0`); must start with dev, at most 15 characters. */
  label?: string;
}

export interface IfAddress {
  family: 4 | 6;
  address: string;
  prefix: number;
  scope: string;
  label?: string;
  secondary: boolean;
  tentative: boolean;
  dadFailed: boolean;
  deprecated: boolean;
}

export interface InterfaceInfo {
  ifname: string;
  ifindex: number;
  /** Hardware address, when the link has one. */
  mac?: string;
  mtu: number;
  flags: string[];
  operstate: string;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Carrier present (IFF_LOWER_UP). */
  carrier: boolean;
  addresses: IfAddress[];
}

export interface IpResult {
  stdout: string;
  stderr: string;
}
/** Runs `ip ARGS`; resolves on exit 0, rejects with an IpCommandError otherwise. */
export type IpRunner = (args: readonly string[]) => Promise<IpResult>;

export class IpCommandError extends Error {
  readonly args: readonly string[];
  readonly exitCode: number | string | undefined;
  readonly stderr: string;
  constructor(args: readonly string[], exitCode: number | string | undefined, stderr: string, cause?: unknown) {
    const why = stderr.trim().split('\n').slice(0, 5).join(' / ') || String(exitCode);
    const hint = exitCode === 'ENOENT' ? ' (is iproute2 installed and /usr/sbin on PATH?)' : '';
    super(`ip ${args.join(' ')} failed: ${why}${hint}`, cause === undefined ? undefined : { cause });
    this.name = 'IpCommandError';
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export const runIp: IpRunner = (args) =>
  new Promise((resolve, reject) => {
    childProcess().execFile(
      'ip',
      [...args],
      // LC_ALL=C: the kernel's texts are matched below ("Address already assigned" since Linux 5.x
      // extack, "File exists" before; "Address not found" / "Cannot assign requested address").
      { env: { ...process.env, LC_ALL: 'C' }, timeout: 5000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const code = (err as NodeJS.ErrnoException & { code?: number | string }).code;
        reject(new IpCommandError(args, code, stderr, err));
      },
    );
  });

// ------------------------------------------------------------------------------------------------
// Pure parts

export function vipAddArgs(vip: Vip): string[] {
  const cidr = `${vip.address}/${vip.prefix}`;
  // IPv6: nodad, so the VIP is usable at once instead of "tentative" for a DAD second.
  if (ipFamily(vip.address) === 6) return ['-6', 'addr', 'add', cidr, 'dev', vip.dev, 'nodad'];
  return ['addr', 'add', cidr, 'dev', vip.dev, ...(vip.label ? ['label', vip.label] : [])];
}

export function vipDelArgs(vip: Vip): string[] {
  const fam = ipFamily(vip.address) === 6 ? ['-6'] : [];
  return [...fam, 'addr', 'del', `${vip.address}/${vip.prefix}`, 'dev', vip.dev];
}

interface RawAddrInfo {
  family?: unknown;
  local?: unknown;
  prefixlen?: unknown;
  scope?: unknown;
  label?: unknown;
  secondary?: unknown;
  tentative?: unknown;
  dadfailed?: unknown;
  deprecated?: unknown;
}

function parseAddr(a: RawAddrInfo): IfAddress | undefined {
  if ((a.family !== 'inet' && a.family !== 'inet6') || typeof a.local !== 'string') return undefined;
  return {
    family: a.family === 'inet' ? 4 : 6,
    address: a.local,
    prefix: typeof a.prefixlen === 'number' ? a.prefixlen : a.family === 'inet' ? 32 : 128,
    scope: typeof a.scope === 'string' ? a.scope : 'global',
    ...(typeof a.label === 'string' ? { label: a.label } : {}),
    secondary: a.secondary === true,
    tentative: a.tentative === true,
    dadFailed: a.dadfailed === true,
    deprecated: a.deprecated === true,
  };
}

/** Parses `ip -j addr show` or `ip -j link show` output (the latter has no addresses). */
export function parseIpJson(text: string): InterfaceInfo[] {
  const data: unknown = JSON.parse(text.trim() === '' ? '[]' : text);
  if (!Array.isArray(data)) throw new TypeError('ip -j output is not a JSON array');
  const out: InterfaceInfo[] = [];
  for (const raw of data as Record<string, unknown>[]) {
    // `ip -j addr` also lists interfaces filtered to nothing as {"addr_info":[{}]} entries without a name.
    if (typeof raw?.ifname !== 'string' || typeof raw.ifindex !== 'number') continue;
    const flags = Array.isArray(raw.flags) ? raw.flags.filter((f): f is string => typeof f === 'string') : [];
    const addrs = Array.isArray(raw.addr_info) ? (raw.addr_info as RawAddrInfo[]) : [];
    out.push({
      ifname: raw.ifname,
      ifindex: raw.ifindex,
      ...(typeof raw.address === 'string' && raw.link_type !== 'none' ? { mac: raw.address } : {}),
      mtu: typeof raw.mtu === 'number' ? raw.mtu : 0,
      flags,
      operstate: typeof raw.operstate === 'string' ? raw.operstate : 'UNKNOWN',
      up: flags.includes('UP'),
      carrier: flags.includes('LOWER_UP') && !flags.includes('NO-CARRIER'),
      addresses: addrs.map(parseAddr).filter((a): a is IfAddress => a !== undefined),
    });
  }
  return out;
}

function sameIp(a: string, b: string): boolean {
  try {
    return ipBytes(a).equals(ipBytes(b));
  } catch {
    return false;
  }
}

export function hasAddress(info: InterfaceInfo, address: string): boolean {
  return info.addresses.some((a) => sameIp(a.address, address));
}

/**
 * The address VRRP packets are sent from: for IPv4 the interface's first (primary) address that
 * is not a VIP, like keepalived's IF_ADDR; for IPv6 its first usable link-local address
 * (RFC 5798 §5.1.2.1). Tentative or DAD-failed addresses cannot be used as a source.
 */
export function primaryAddress(info: InterfaceInfo, family: 4 | 6, exclude: readonly string[] = []): string | undefined {
  const usable = info.addresses.filter(
    (a) => a.family === family && !a.tentative && !a.dadFailed && !exclude.some((x) => sameIp(x, a.address)),
  );
  if (family === 6) return usable.find((a) => a.scope === 'link')?.address;
  return (usable.find((a) => !a.secondary && a.scope !== 'host') ?? usable[0])?.address;
}

// ------------------------------------------------------------------------------------------------
// Effects

/** Adds a VIP; 'exists' when the interface already has it (not an error: restarts re-add). */
export async function addVip(vip: Vip, run: IpRunner = runIp): Promise<'added' | 'exists'> {
  try {
    await run(vipAddArgs(vip));
    return 'added';
  } catch (err) {
    if (err instanceof IpCommandError && /File exists|address already assigned/i.test(err.stderr)) return 'exists';
    throw err;
  }
}

/** Removes a VIP; 'absent' when the interface did not have it. */
export async function removeVip(vip: Vip, run: IpRunner = runIp): Promise<'removed' | 'absent'> {
  try {
    await run(vipDelArgs(vip));
    return 'removed';
  } catch (err) {
    if (err instanceof IpCommandError && /Cannot assign requested address|address not found/i.test(err.stderr)) return 'absent';
    throw err;
  }
}

/** One interface with its addresses, link flags and MAC (`ip -j addr show dev IF`). */
export async function showInterface(ifname: string, run: IpRunner = runIp): Promise<InterfaceInfo> {
  const { stdout } = await run(['-j', 'addr', 'show', 'dev', ifname]);
  const info = parseIpJson(stdout).find((i) => i.ifname === ifname);
  if (!info) throw new IpCommandError(['-j', 'addr', 'show', 'dev', ifname], 1, `Device "${ifname}" does not exist.`);
  return info;
}

/** Reads one interface: its facts, or undefined when it does not exist. */
export type InterfaceReader = (ifname: string) => InterfaceInfo | undefined;

/**
 * What `showInterface` tells, read in-process through rtnetlink (RTM_GETLINK + RTM_GETADDR in the
 * addon, synchronous, no `ip` process to fork); undefined when the addon predates readInterface.
 */
export function netlinkInterfaceReader(): InterfaceReader | undefined {
  const addon = tryLoadAddon();
  const read = addon?.readInterface?.bind(addon);
  if (!read) return undefined;
  return (ifname) => {
    const buf = read(ifname);
    return buf ? decodeInterface(buf, ifname) : undefined;
  };
}

/**
 * Adds a VIP in-process through rtnetlink (the addon), like `ip addr add` but in microseconds: the
 * takeover path must not wait for a process to start. Falls back to `ip` if the addon predates it.
 */
export async function addVipNow(vip: Vip, run: IpRunner = runIp): Promise<'added' | 'exists'> {
  const addon = loadAddon();
  if (!addon.changeAddress) return addVip(vip, run);
  try {
    addon.changeAddress(true, vip.dev, vip.address, vip.prefix, vip.label);
    return 'added';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
    throw err;
  }
}

/** Removes a VIP through rtnetlink (see addVipNow); 'absent' when the interface did not have it. */
export async function removeVipNow(vip: Vip, run: IpRunner = runIp): Promise<'removed' | 'absent'> {
  const addon = loadAddon();
  if (!addon.changeAddress) return removeVip(vip, run);
  try {
    addon.changeAddress(false, vip.dev, vip.address, vip.prefix);
    return 'removed';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') return 'absent';
    throw err;
  }
}
