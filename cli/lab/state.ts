// state.json: what a lab created so far (written as `up` goes, so `down` works after a half-failed up).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

const hostSchema = z.object({
  index: z.number().int().positive(),
  name: z.string(),
  address: z.string(),
  ns: z.string(),
  veth: z.string(),
  hostKeyPub: z.string().optional(),
  sshdPid: z.number().int().positive().optional(),
  nginxPid: z.number().int().positive().optional(),
});

const stateSchema = z.object({
  version: z.literal(1),
  name: z.string(),
  /** creating: `up` is running or failed midway; up: every host answered. */
  phase: z.enum(['creating', 'up']),
  subnet: z.string(),
  prefix: z.number().int(),
  workstation: z.string(),
  bridge: z.string(),
  createdAt: z.string(),
  hosts: z.array(hostSchema),
});

export type LabHostState = z.infer<typeof hostSchema>;
export type LabState = z.infer<typeof stateSchema>;

/** Parses state.json text; a problem string when it is not a lab state. */
export function parseLabState(text: string): LabState | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  const result = stateSchema.safeParse(json);
  if (result.success) return result.data;
  return result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** undefined when there is no state file; a problem string when it is unreadable. */
export function readLabState(file: string): LabState | string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return (err as Error).message;
  }
  return parseLabState(text);
}

/** Atomic replace, so a crash never leaves half a state file. */
export function writeLabState(file: string, state: LabState): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
}
