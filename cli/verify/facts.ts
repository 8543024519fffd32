// Pure parsers for what `haup status` and `haup verify` read from nodes: `ip -j addr` and the agent's
// status file (STYLE.md §2: remote output is parsed purely, tested on recorded fixtures).
import type { AgentStatus } from '../../agent/status.js';

export interface InterfaceAddress {
  ifname: string;
  address: string;
  prefixlen: number;
  label: string | null;
  family: 4 | 6;
}

/** Every address of `ip -j addr show` output; garbage in -> an empty list, never a throw. */
export function parseIpAddr(json: string): InterfaceAddress[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(data)) return [];
  const out: InterfaceAddress[] = [];
  for (const link of data) {
    if (typeof link !== 'object' || link === null) continue;
    const l = link as { ifname?: unknown; addr_info?: unknown };
    if (typeof l.ifname !== 'string' || !Array.isArray(l.addr_info)) continue;
    for (const a of l.addr_info as { family?: unknown; local?: unknown; prefixlen?: unknown; label?: unknown }[]) {
      if (typeof a.local !== 'string' || (a.family !== 'inet' && a.family !== 'inet6')) continue;
      out.push({
        ifname: l.ifname,
        address: a.local,
        prefixlen: typeof a.prefixlen === 'number' ? a.prefixlen : a.family === 'inet' ? 32 : 128,
        label: typeof a.label === 'string' ? a.label : null,
        family: a.family === 'inet' ? 4 : 6,
      });
    }
  }
  return out;
}

/** The agent status file, or null when absent or not a haup agent's. */
export function parseAgentStatus(text: string | null): AgentStatus | null {
  if (text === null || text.trim() === '') return null;
  try {
    const v = JSON.parse(text) as Partial<AgentStatus>;
    return v.agent === 'haup-agent' && Array.isArray(v.instances) ? (v as AgentStatus) : null;
  } catch {
    return null;
  }
}

/** Strips a "/prefix" so a VIP written as 10.0.0.1/24 compares equal to the bare address. */
export function vipAddress(vip: string): string {
  const slash = vip.indexOf('/');
  return (slash < 0 ? vip : vip.slice(0, slash)).toLowerCase();
}

/** Link-layer (MAC) address per interface from `ip -j addr show` / `ip -j link show`, lower-case. */
export function parseLinkMacs(json: string): Map<string, string> {
  const out = new Map<string, string>();
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return out;
  }
  if (!Array.isArray(data)) return out;
  for (const link of data as { ifname?: unknown; address?: unknown; link_type?: unknown }[]) {
    if (typeof link !== 'object' || link === null) continue;
    if (typeof link.ifname === 'string' && typeof link.address === 'string' && link.link_type === 'ether') out.set(link.ifname, link.address.toLowerCase());
  }
  return out;
}

export interface NeighbourEntry {
  dst: string;
  dev: string;
  /** null while unresolved (INCOMPLETE, FAILED). */
  lladdr: string | null;
  state: string[];
}

/** `ip -j neigh show` output; garbage in -> an empty list. */
export function parseNeighbours(json: string): NeighbourEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(data)) return [];
  const out: NeighbourEntry[] = [];
  for (const n of data as { dst?: unknown; dev?: unknown; lladdr?: unknown; state?: unknown }[]) {
    if (typeof n !== 'object' || n === null || typeof n.dst !== 'string' || typeof n.dev !== 'string') continue;
    out.push({
      dst: n.dst.toLowerCase(),
      dev: n.dev,
      lladdr: typeof n.lladdr === 'string' ? n.lladdr.toLowerCase() : null,
      state: Array.isArray(n.state) ? n.state.filter((s): s is string => typeof s === 'string') : [],
    });
  }
  return out;
}

/** One line of `ip monitor neigh`, e.g. "10.0.0.5 dev br0 lladdr aa:bb:cc:dd:ee:ff STALE"; null if not a neighbour line. */
export function parseNeighbourEvent(line: string): (NeighbourEntry & { deleted: boolean }) | null {
  const m = /^(Deleted )?(\S+) dev (\S+)(?: lladdr (\S+))?(?: router)?(?: proxy)?((?: [A-Z_]+)*)\s*$/.exec(line.trim());
  if (!m) return null;
  return {
    deleted: m[1] !== undefined,
    dst: (m[2] as string).toLowerCase(),
    dev: m[3] as string,
    lladdr: m[4] ? m[4].toLowerCase() : null,
    state: (m[5] ?? '').trim().split(' ').filter((s) => s !== ''),
  };
}
