// IPv4 arithmetic for the lab: parse CIDRs and `ip -j route`, pick a free subnet, number the hosts.

export interface Ipv4Net {
  /** Network address as an unsigned 32-bit integer. */
  readonly network: number;
  readonly prefix: number;
}

export interface LabAddresses {
  readonly subnet: string;
  readonly prefix: number;
  /** The workstation's (root namespace's) address on the lab bridge: the subnet's .1. */
  readonly workstation: string;
  /** Host I (1-based) gets the subnet's .(10 + I); index 0 here is host 1. */
  readonly hosts: readonly string[];
}

/** The default lab takes 10.254.0.0/24; other labs take the first free /24 after it. */
export const SUBNET_POOL: Ipv4Net = { network: ipv4(10, 254, 0, 0), prefix: 16 };
export const DEFAULT_LAB_SUBNET: Ipv4Net = { network: ipv4(10, 254, 0, 0), prefix: 24 };
export const HOST_OFFSET = 10;

function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  const [a, b, c, d] = parts as [number, number, number, number];
  return ipv4(a, b, c, d);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

export function formatNet(net: Ipv4Net): string {
  return `${formatIpv4(net.network)}/${net.prefix}`;
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function size(net: Ipv4Net): number {
  return 2 ** (32 - net.prefix);
}

/** Parses "a.b.c.d/len" (or a bare address as /32); a problem string when it is not a network. */
export function parseCidr(text: string): Ipv4Net | string {
  const [addr, len, ...extra] = text.split('/');
  const address = parseIpv4(addr ?? '');
  const prefix = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (address === undefined || extra.length > 0 || !(prefix >= 0 && prefix <= 32)) {
    return `"${text}" is not an IPv4 network like 10.254.0.0/24`;
  }
  const network = (address & mask(prefix)) >>> 0;
  if (network !== address) {
    return `"${text}" has host bits set — use ${formatIpv4(network)}/${prefix}`;
  }
  return { network, prefix };
}

export function overlaps(a: Ipv4Net, b: Ipv4Net): boolean {
  const shorter = Math.min(a.prefix, b.prefix);
  return ((a.network ^ b.network) & mask(shorter)) >>> 0 === 0;
}

/**
 * IPv4 destinations of `ip -j route` output, skipping the default route (a lab subnet under the
 * default route is fine: the more specific bridge route wins). Host routes come without a prefix.
 */
export function routeDestinations(ipJson: string): Ipv4Net[] {
  const text = ipJson.trim();
  if (text === '') return [];
  const routes = JSON.parse(text) as unknown;
  if (!Array.isArray(routes)) return [];
  const out: Ipv4Net[] = [];
  for (const route of routes) {
    const dst = (route as { dst?: unknown }).dst;
    if (typeof dst !== 'string' || dst === 'default') continue;
    const net = parseCidr(dst);
    if (typeof net !== 'string') out.push(net);
  }
  return out;
}

/** The first /24 of the pool that overlaps nothing taken; only the default lab may take the first one. */
export function chooseSubnet(taken: readonly Ipv4Net[], opts: { isDefaultLab: boolean }): Ipv4Net | undefined {
  const first = opts.isDefaultLab ? 0 : 1;
  for (let i = first; i < size(SUBNET_POOL) / 256; i++) {
    const candidate: Ipv4Net = { network: SUBNET_POOL.network + i * 256, prefix: 24 };
    if (!taken.some((t) => overlaps(t, candidate))) return candidate;
  }
  return undefined;
}

/** Largest host count a subnet holds: .1 is the workstation, hosts start at .11, keep the broadcast free. */
export function capacity(net: Ipv4Net): number {
  return Math.max(0, size(net) - 2 - HOST_OFFSET);
}

export function labAddresses(net: Ipv4Net, hosts: number): LabAddresses | string {
  if (hosts > capacity(net)) {
    return `${formatNet(net)} holds at most ${capacity(net)} lab hosts (they start at .${HOST_OFFSET + 1}) — use a larger subnet`;
  }
  return {
    subnet: formatNet(net),
    prefix: net.prefix,
    workstation: formatIpv4(net.network + 1),
    hosts: Array.from({ length: hosts }, (_, i) => formatIpv4(net.network + HOST_OFFSET + 1 + i)),
  };
}
