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
