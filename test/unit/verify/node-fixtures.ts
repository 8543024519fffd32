// Builders for verify/status unit tests: the lab inventory's model and node facts as a node would report them.
import type { AgentStatus, InstanceStatus } from '../../../agent/status.js';
import { loadInventory } from '../../../cli/inventory/load.js';
import type { InventoryModel } from '../../../cli/inventory/model.js';
import type { NodeFacts } from '../../../cli/verify/node-facts.js';

export async function labModel(): Promise<InventoryModel> {
  return (await loadInventory(new URL('../../../inventories/lab.yml', import.meta.url).pathname)).model;
}

export const VIP = '10.254.0.100';

export function facts(o: { pid?: number; running?: boolean; state?: InstanceStatus['state'] | null; vip?: boolean; effectivePriority?: number; mac?: string; instance?: string; rivalPid?: number }): NodeFacts {
  const pid = o.pid ?? 100;
  const running = o.running ?? true;
  const inst: InstanceStatus | null =
    o.state === null
      ? null
      : {
          name: o.instance ?? 'VI_web',
          interface: 'eth0',
          vrid: 51,
          version: 2,
          family: 4,
          state: o.state ?? 'BACKUP',
          priority: o.effectivePriority ?? 100,
          effectivePriority: o.effectivePriority ?? 100,
          advertIntervalMs: 1000,
          preempt: true,
          vips: [`${VIP}/24`],
          vipsHeld: o.vip ?? false,
          masterSeen: null,
          lastTransition: { from: 'BACKUP', to: o.state ?? 'BACKUP', reason: 'master-down-timer', at: '2026-01-01T00:00:00.000Z' },
          counters: {},
          tracks: [],
        };
  const status: AgentStatus = {
    agent: 'haup-agent', version: '0.1.0', pid, node: 'x', configFile: '/etc/haup/keepalived.conf', configHash: 'h',
    startedAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', instances: inst ? [inst] : [],
  };
  return {
    pid,
    running,
    init: 'none',
    clockMs: 0,
    status: running ? status : null,
    staleStatus: running ? null : status,
    addresses: [
      { ifname: 'eth0', address: '10.254.0.11', prefixlen: 24, label: 'eth0', family: 4 },
      ...(o.vip ? [{ ifname: 'eth0', address: VIP, prefixlen: 24, label: 'eth0:0', family: 4 as const }] : []),
    ],
    macs: new Map([['eth0', o.mac ?? 'aa:aa:aa:aa:aa:01']]),
    rivalPid: o.rivalPid ?? null,
  };
}
