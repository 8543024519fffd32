// Writes inventories for a test lab: pairs (h1,h2), (h3,h4), ... on the lab's subnet with its key and
// known_hosts, in the shape of inventories/lab.yml. Used by the deploy integration tests and bench/deploy.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labPaths } from '../../../cli/lab/paths.js';

export interface LabLike {
  readonly name: string;
  readonly subnet: string;
  readonly keyPath: string;
  readonly knownHostsPath: string;
  readonly stateDir: string;
  readonly hosts: readonly { readonly name: string; readonly address: string; readonly index: number }[];
}

export interface InventoryOptions {
  pairs: number;
  engine?: 'haup' | 'keepalived';
  preempt?: boolean;
  /** Per pair index: master and backup priority (default 100 / 99). */
  priorities?: (pair: number) => { master: number; backup: number };
  /** The nginx check of inventories/lab.yml on every pair (default true). */
  check?: boolean;
  interface?: string;
  advertInt?: number;
  vrrpVersion?: 2 | 3;
  /** Override any ssh setting (e.g. a wrong key, another known_hosts). */
  ssh?: { key?: string; knownHosts?: string };
  /** First VRID (pairs count up from it; default 51). */
  vrid?: number;
}

/** The VIP of pair `i` (0-based): .100 + i of the lab subnet. */
export function vipOf(lab: LabLike, i: number): string {
  const base = lab.subnet.split('/')[0]?.split('.').slice(0, 3).join('.');
  return `${base}.${100 + i}`;
}

export function pairName(i: number): string {
  return `p${i + 1}`;
}

export function labInventoryText(lab: LabLike, o: InventoryOptions): string {
  const prefix = lab.subnet.split('/')[1] ?? '24';
  const iface = o.interface ?? 'eth0';
  const paths = labPaths(lab.name, join(lab.stateDir, '..'));
  const lines = [
    `# Generated for lab ${lab.name} by test/integration/deploy/lab-inventory.ts`,
    'defaults:',
    `  engine: ${o.engine ?? 'haup'}`,
    `  interface: ${iface}`,
    `  advert_int: ${o.advertInt ?? 1}`,
    `  vrrp_version: ${o.vrrpVersion ?? 2}`,
    `  preempt: ${o.preempt ?? true}`,
    ...((o.vrrpVersion ?? 2) === 2 ? ['  auth: { type: PASS, pass: "${HAUP_LAB_PASS:-haup-lab}" }'] : ['  auth: none']),
    ...(o.check ?? true ? ['  check: { template: nginx, interval: 3, weight: 0, rise: 1, fall: 1, service: nginx }'] : []),
    '  ssh:',
    '    user: root',
    `    key: ${o.ssh?.key ?? lab.keyPath}`,
    `    known_hosts: ${o.ssh?.knownHosts ?? lab.knownHostsPath}`,
    'pairs:',
  ];
  for (let i = 0; i < o.pairs; i++) {
    const m = lab.hosts[2 * i];
    const b = lab.hosts[2 * i + 1];
    if (!m || !b) throw new Error(`lab ${lab.name} has ${lab.hosts.length} hosts; ${o.pairs} pairs need ${2 * o.pairs}`);
    const prio = o.priorities?.(i) ?? { master: 100, backup: 99 };
    const start = (h: { index: number }) => `[/usr/sbin/nginx, -c, ${paths.host(h.index).nginxConfig}, -e, /var/log/nginx/error.log]`;
    lines.push(
      `  - name: ${pairName(i)}`,
      `    vrid: ${(o.vrid ?? 51) + i}`,
      `    vips: [{ address: ${vipOf(lab, i)}/${prefix}, dev: ${iface} }]`,
      '    probe: { type: http, port: 80, path: / }',
      `    master: { name: ${m.name}, host: ${m.address}, priority: ${prio.master}${o.check ?? true ? `, check: { start: ${start(m)} }` : ''} }`,
      `    backup: { name: ${b.name}, host: ${b.address}, priority: ${prio.backup}${o.check ?? true ? `, check: { start: ${start(b)} }` : ''} }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Writes the inventory under the lab's state dir (removed with the lab) and returns its path. */
export function writeLabInventory(lab: LabLike, file: string, o: InventoryOptions): string {
  const dir = join(lab.stateDir, 'inventories');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file);
  writeFileSync(path, labInventoryText(lab, o));
  return path;
}
