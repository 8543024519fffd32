// Interface facts the runtime needs: rtnetlink (or `ip -j addr`) readings, the address adverts go out from, MACs for gratuitous ARP.
import { ipv6Forwarding } from '../net/garp.js';
import { macBytes } from '../net/address.js';
import { IpCommandError, netlinkInterfaceReader, primaryAddress, showInterface, type InterfaceInfo, type IpRunner } from '../net/vips.js';
import type { VrrpInstance } from '../config/schema.js';

export interface Readings {
  found: Map<string, InterfaceInfo>;
  missing: Set<string>;
}

/**
 * Reads every named interface; a missing one is reported, any other failure throws. In-process
 * through the addon's rtnetlink reader; with `run` given, or an addon without it, through `ip -j addr`
 * in parallel.
 */
export async function readInterfaces(names: Iterable<string>, run?: IpRunner): Promise<Readings> {
  const found = new Map<string, InterfaceInfo>();
  const missing = new Set<string>();
  const reader = run ? undefined : netlinkInterfaceReader();
  if (reader) {
    for (const name of new Set(names)) {
      const info = reader(name);
      if (info) found.set(name, info);
      else missing.add(name);
    }
    return { found, missing };
  }
  await Promise.all(
    [...new Set(names)].map(async (name) => {
      try {
        found.set(name, await showInterface(name, run));
      } catch (err) {
        if (err instanceof IpCommandError && /does not exist/i.test(err.stderr)) missing.add(name);
        else throw err;
      }
    }),
  );
  return { found, missing };
}

/**
 * Where `inst` sends adverts from: unicast_src_ip, else the interface's primary address of the
 * instance's family that is not a VIP (IPv6: its link-local address, RFC 5798 §5.1.2.1).
 * `allVips` are every instance's VIPs (a leftover VIP must never become the source).
 */
export function sourceAddressFor(inst: VrrpInstance, info: InterfaceInfo, allVips: readonly string[]): string | undefined {
  return inst.unicastSrcIp ?? primaryAddress(info, inst.family, allVips);
}

/** What sending gratuitous ARP / unsolicited NA out of an interface needs. */
export interface GarpFacts {
  mac: Buffer | undefined;
  /** The NA Router flag: the interface forwards IPv6. */
  ipv6Router: boolean;
}

export function garpFacts(info: InterfaceInfo): GarpFacts {
  let mac: Buffer | undefined;
  try {
    mac = info.mac ? macBytes(info.mac) : undefined;
  } catch {
    mac = undefined;
  }
  return { mac, ipv6Router: ipv6Forwarding(info.ifname) };
}
