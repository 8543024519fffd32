// `ip -batch` scripts that build and remove a lab's network, and parsers for what `ip -j` lists.
import { bridgeName, linkRole, namespaceIndex, namespaceName, vethName } from './names.js';

export interface NetworkSpec {
  readonly lab: string;
  readonly hosts: number;
  readonly workstation: string;
  readonly prefix: number;
}

/**
 * One namespace per host, a bridge holding the workstation's address, and per host a veth whose
 * far end is created directly inside the namespace as eth0 (no temporary names, nothing to rename).
 * The bridge does not snoop multicast (VRRP adverts and IPv6 ND are always flooded) and bypasses
 * iptables (br_netfilter with a DROP forward policy, as Docker sets it, would cut the hosts apart).
 * The hosts configure their own eth0 address at boot (host init script).
 */
export function setupBatch(spec: NetworkSpec): string {
  const br = bridgeName(spec.lab);
  const indexes = Array.from({ length: spec.hosts }, (_, i) => i + 1);
  return [
    ...indexes.map((i) => `netns add ${namespaceName(spec.lab, i)}`),
    `link add ${br} type bridge mcast_snooping 0 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0`,
    `addr add ${spec.workstation}/${spec.prefix} dev ${br}`,
    `link set ${br} up`,
    ...indexes.flatMap((i) => [
      `link add ${vethName(spec.lab, i)} type veth peer name eth0 netns ${namespaceName(spec.lab, i)}`,
      `link set ${vethName(spec.lab, i)} master ${br} up`,
    ]),
    '',
  ].join('\n');
}

/** Deletes only what carries this lab's names: veths first (both ends go), then bridge, then namespaces. */
export function teardownBatch(lab: string, existingNamespaces: readonly string[], existingLinks: readonly string[]): string {
  const links = existingLinks.filter((l) => linkRole(lab, l) !== undefined);
  const veths = links.filter((l) => linkRole(lab, l) === 'veth');
  const bridges = links.filter((l) => linkRole(lab, l) === 'bridge');
  const lines = [
    ...veths.map((l) => `link del ${l}`),
    ...bridges.map((l) => `link del ${l}`),
    ...ownNamespaces(lab, existingNamespaces).map((ns) => `netns del ${ns}`),
  ];
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** This lab's namespaces among those listed, in host order. */
export function ownNamespaces(lab: string, namespaces: readonly string[]): string[] {
  return namespaces
    .filter((ns) => namespaceIndex(lab, ns) !== undefined)
    .sort((a, b) => (namespaceIndex(lab, a) ?? 0) - (namespaceIndex(lab, b) ?? 0));
}

export function ownLinks(lab: string, links: readonly string[]): string[] {
  return links.filter((l) => linkRole(lab, l) !== undefined);
}

/** `ip -j netns list` prints nothing at all when there are no namespaces. */
export function parseNetnsList(json: string): string[] {
  return parseNamed(json, 'name');
}

/** `ip -j link show`: interface names (the "@peer" suffix appears only in non-JSON output). */
export function parseLinkNames(json: string): string[] {
  return parseNamed(json, 'ifname');
}

function parseNamed(json: string, key: string): string[] {
  const text = json.trim();
  if (text === '') return [];
  const items = JSON.parse(text) as unknown;
  if (!Array.isArray(items)) return [];
  return items.map((item) => (item as Record<string, unknown>)[key]).filter((v): v is string => typeof v === 'string');
}
