// Times `haup lab up --hosts N` (default 40) and `down`, through the same modules the CLI uses.
// Run as root: node --import tsx bench/lab.ts [--hosts 40] [--rounds 1] [--name benchlab]
import { parseArgs } from 'node:util';
import { labDown } from '../cli/lab/down.js';
import { labUp } from '../cli/lab/up.js';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '1' },
    name: { type: 'string', default: 'benchlab' },
  },
});
const hosts = Number(values.hosts);
const rounds = Number(values.rounds);
const name = values.name;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const ups: number[] = [];
const downs: number[] = [];
const steps: Record<string, number[]> = {};
await labDown({ name });
for (let round = 1; round <= rounds; round++) {
  let t0 = performance.now();
  const res = await labUp({ name, hosts });
  ups.push(performance.now() - t0);
  for (const [step, ms] of Object.entries(res.timings)) (steps[step] ??= []).push(ms);
  if (!res.status.healthy) throw new Error(`round ${round}: lab is not healthy after up`);
  t0 = performance.now();
  const down = await labDown({ name });
  downs.push(performance.now() - t0);
  console.log(
    `round ${round}: up ${(ups.at(-1)! / 1000).toFixed(2)} s, down ${(downs.at(-1)! / 1000).toFixed(2)} s ` +
      `(${down.processes} processes, ${down.namespaces} namespaces)`,
  );
}
console.log(`lab with ${hosts} hosts, ${rounds} round(s), median:`);
console.log(`  up    ${(median(ups) / 1000).toFixed(2)} s`);
for (const [step, ms] of Object.entries(steps)) console.log(`    ${step.padEnd(20)} ${(median(ms) / 1000).toFixed(2)} s`);
console.log(`  down  ${(median(downs) / 1000).toFixed(2)} s`);
