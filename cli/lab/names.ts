// Names of everything a lab creates, derived from the lab name, so `down` can find them without state.

/** Lab names are short so every derived Linux interface name fits IFNAMSIZ (15 characters). */
export const LAB_NAME_PATTERN = /^[a-z0-9]{1,8}$/;
export const DEFAULT_LAB_NAME = 'lab';
export const DEFAULT_HOST_COUNT = 2;
export const MAX_HOSTS = 200;
/** Linux interface names hold at most IFNAMSIZ - 1 = 15 characters. */
export const MAX_IFNAME_LENGTH = 15;

/** Where every lab keeps its files (contract: /var/lib/haup/lab/<labname>/). */
export const LAB_STATE_ROOT = '/var/lib/haup/lab';

/** Returns a problem description, or undefined when the name is usable. */
export function labNameProblem(name: string): string | undefined {
  if (LAB_NAME_PATTERN.test(name)) return undefined;
  return `lab name "${name}" must be 1 to 8 characters of a-z and 0-9`;
}

export function hostCountProblem(hosts: number): string | undefined {
  if (Number.isInteger(hosts) && hosts >= 1 && hosts <= MAX_HOSTS) return undefined;
  return `--hosts ${hosts} must be a whole number from 1 to ${MAX_HOSTS}`;
}

export function hostName(index: number): string {
  return `h${index}`;
}

export function namespaceName(lab: string, index: number): string {
  return `haup-${lab}-h${index}`;
}

export function bridgeName(lab: string): string {
  return `hb-${lab}`;
}

/** Root-namespace end of host `index`'s veth pair; the other end is `eth0` inside the host. */
export function vethName(lab: string, index: number): string {
  return `hv-${lab}-${index}`;
}

/** Host index of one of this lab's namespaces, or undefined for any other namespace. */
export function namespaceIndex(lab: string, ns: string): number | undefined {
  return trailingIndex(`haup-${lab}-h`, ns);
}

/** What a root-namespace link is to this lab: its bridge, one of its veths, or nothing of ours. */
export function linkRole(lab: string, link: string): 'bridge' | 'veth' | undefined {
  if (link === bridgeName(lab)) return 'bridge';
  if (trailingIndex(`hv-${lab}-`, link) !== undefined) return 'veth';
  return undefined;
}

function trailingIndex(prefix: string, value: string): number | undefined {
  if (!value.startsWith(prefix)) return undefined;
  const rest = value.slice(prefix.length);
  if (!/^[1-9][0-9]{0,2}$/.test(rest)) return undefined;
  return Number(rest);
}
