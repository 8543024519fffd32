// What the demo needs before it changes anything: root, the lab's programs, and a built agent bundle.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HaupError } from '../errors.js';
import { preflightLab, type LabTools } from '../lab/tools.js';

export const AGENT_FILES = ['haup-agent.cjs', 'haup_raw.node'] as const;

/** dist/agent beside the bundled CLI (dist/cli/haup.js), or the repository's dist/agent from source. */
export function agentDirs(): string[] {
  return [fileURLToPath(new URL('../agent/', import.meta.url)), fileURLToPath(new URL('../../dist/agent/', import.meta.url))];
}

/** inventories/lab.yml of the checkout (the same two levels up from dist/cli/haup.js and cli/demo/*.ts). */
export function exampleLabInventory(): string {
  return fileURLToPath(new URL('../../inventories/lab.yml', import.meta.url));
}

/** The first folder holding the whole agent bundle, or undefined (pure given `exists`). */
export function findAgentDir(dirs: readonly string[], exists: (file: string) => boolean): string | undefined {
  return dirs.find((d) => AGENT_FILES.every((f) => exists(join(d, f))));
}

/** Throws HAUP_NOT_ROOT, HAUP_MISSING_PACKAGES or (no agent bundle) HAUP_USAGE, before anything is touched. */
export function preflightDemo(env: NodeJS.ProcessEnv = process.env): { tools: LabTools; agentDir: string } {
  const tools = preflightLab('haup demo', env);
  const dirs = agentDirs();
  const agentDir = findAgentDir(dirs, existsSync);
  if (agentDir === undefined) {
    throw new HaupError('HAUP_USAGE', `the haup agent is not built: no ${AGENT_FILES.join(' + ')} in ${dirs.join(' or ')}`, {
      hint: 'build it first: npm ci && npm run build (npm ci compiles the addon; it needs make, g++ and python3)',
    });
  }
  return { tools, agentDir };
}
