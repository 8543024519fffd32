// What the lab commands print: the status table and the lines after `up` (pure text).
import type { LabStatus } from './status.js';

export function formatStatusTable(status: LabStatus): string {
  const head = [
    `lab ${status.name}: ${status.hosts.length} host(s) on ${status.subnet}, workstation ${status.workstation} on ${status.bridge}` +
      (status.phase === 'up' ? '' : ' — still being created, or its up failed'),
    `state ${status.stateDir}  key ${status.keyPath}  known_hosts ${status.knownHostsPath}`,
  ];
  const pid = (p: number | undefined, running: boolean) => `${p ?? '-'} ${running ? 'running' : 'DOWN'}`;
  const rows = [
    ['HOST', 'ADDRESS', 'NAMESPACE', 'SSHD', 'NGINX'],
    ...status.hosts.map((h) => [h.name, h.address, h.ns, pid(h.sshdPid, h.sshdRunning), pid(h.nginxPid, h.nginxRunning)]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  const lines = rows.map((r) => r.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd());
  return [...head, '', ...lines, ''].join('\n');
}

/** The hint after `up`: how to reach the first host by hand. */
export function formatUpNextSteps(status: LabStatus, alreadyUp: boolean): string {
  const first = status.hosts[0];
  const lines = [
    alreadyUp
      ? `lab ${status.name} is already up with ${status.hosts.length} host(s); nothing changed`
      : `lab ${status.name} is up: ${status.hosts.length} host(s) on ${status.subnet}`,
  ];
  if (first) {
    lines.push(`try: ssh -i ${status.keyPath} -o UserKnownHostsFile=${status.knownHostsPath} root@${first.address} hostname`);
  }
  lines.push(`inventory (printed on stdout): ${status.inventoryPath}`);
  lines.push(`deploy to it: haup deploy ${status.inventoryPath}; remove the lab: haup lab down --name ${status.name}`);
  return `${lines.join('\n')}\n`;
}
