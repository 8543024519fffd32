// Where a pair's VIP really is at the end of the demo: the kernel's word (`ip -j addr` inside each lab
// host) and the client's (who answers HTTP on the VIP), independent of what the agents report.
import { runCommand } from '../lab/proc.js';
import { parseIpAddr, type InterfaceAddress } from '../verify/facts.js';

export interface HostAddresses {
  readonly name: string;
  readonly addresses: readonly InterfaceAddress[];
}

/** Names of the hosts that have `vip` on an interface (pure; more than one is split brain). */
export function vipHolders(hosts: readonly HostAddresses[], vip: string): string[] {
  return hosts.filter((h) => h.addresses.some((a) => a.address === vip)).map((h) => h.name);
}

/** `ip -j addr show` inside a lab host's network namespace; [] when it cannot be read. */
export async function readHostAddresses(ip: string, ns: string): Promise<InterfaceAddress[]> {
  const res = await runCommand(ip, ['-n', ns, '-j', 'addr', 'show']);
  return res.code === 0 ? parseIpAddr(res.stdout) : [];
}

/** The body an HTTP GET to the VIP returns (the lab's nginx names its host), or null if none came. */
export async function askVip(vip: string, port: number, path: string, timeoutMs = 2000): Promise<string | null> {
  try {
    const host = vip.includes(':') ? `[${vip}]` : vip;
    const res = await fetch(`http://${host}:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs), headers: { connection: 'close' } });
    return res.ok ? (await res.text()).trim() : null;
  } catch {
    return null;
  }
}
