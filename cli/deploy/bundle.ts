// Finds and reads the agent bundle once per run (dist/agent/haup-agent.cjs + haup_raw.node), whatever the number
// of hosts: `npm run build` makes it; `--agent DIR` points elsewhere.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HaupError } from '../errors.js';
import type { AgentBundle } from './desired.js';

export const AGENT_JS = 'haup-agent.cjs';
export const AGENT_ADDON = 'haup_raw.node';

/** dist/agent beside the bundled CLI (dist/cli/haup.js), or the repository's dist/agent when run from source. */
export function defaultAgentDirs(): string[] {
  return [fileURLToPath(new URL('../agent/', import.meta.url)), fileURLToPath(new URL('../../dist/agent/', import.meta.url))];
}

export async function readAgentBundle(dir: string | undefined): Promise<AgentBundle> {
  const dirs = dir === undefined ? defaultAgentDirs() : [resolve(dir)];
  const found = dirs.find((d) => existsSync(join(d, AGENT_JS)));
  if (found === undefined) {
    throw new HaupError('HAUP_USAGE', `the haup agent bundle is missing: no ${AGENT_JS} in ${dirs.join(' or ')}`, {
      hint: dir === undefined ? 'build it first: npm run build (or point --agent at a folder holding haup-agent.cjs and haup_raw.node)' : 'check --agent: it must name a folder holding haup-agent.cjs and haup_raw.node',
    });
  }
  try {
    const [js, addon] = await Promise.all([readFile(join(found, AGENT_JS)), readFile(join(found, AGENT_ADDON))]);
    return { js, addon, dir: found };
  } catch (err) {
    throw new HaupError('HAUP_USAGE', `cannot read the haup agent bundle in ${found}: ${(err as Error).message}`, {
      hint: 'rebuild it: npm run build (the addon comes from npm ci, which builds agent/native)',
      cause: err,
    });
  }
}
