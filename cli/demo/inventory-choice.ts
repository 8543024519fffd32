// Which inventory the demo deploys: inventories/lab.yml when the lab is where that file expects it
// (lab "lab" on 10.254.0.0/24), else the inventory the lab wrote for itself (pure).
import { relative } from 'node:path';
import type { LabStatus } from '../lab/status.js';

export const EXAMPLE_LAB = { name: 'lab', subnet: '10.254.0.0/24' } as const;

export function chooseInventory(opts: {
  lab: Pick<LabStatus, 'name' | 'subnet' | 'inventoryPath' | 'hosts'>;
  example: string;
  exampleExists: boolean;
  cwd: string;
}): { inventory: string; why: string | null } {
  const { lab } = opts;
  const shown = relative(opts.cwd, opts.example);
  const example = shown.startsWith('..') ? opts.example : shown;
  if (opts.exampleExists && lab.name === EXAMPLE_LAB.name && lab.subnet === EXAMPLE_LAB.subnet && lab.hosts.length >= 2) {
    return { inventory: example, why: null };
  }
  const reason = !opts.exampleExists
    ? `${example} is not here`
    : lab.name !== EXAMPLE_LAB.name
      ? `${example} is written for lab "${EXAMPLE_LAB.name}", this is lab "${lab.name}"`
      : lab.subnet !== EXAMPLE_LAB.subnet
        ? `${example} expects ${EXAMPLE_LAB.subnet}, this lab got ${lab.subnet}`
        : `${example} needs 2 hosts, this lab has ${lab.hosts.length}`;
  return { inventory: lab.inventoryPath, why: `using the lab's own inventory ${lab.inventoryPath} (${reason})` };
}
