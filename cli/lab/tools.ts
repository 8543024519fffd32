// Preflight for the lab: root, and the programs it runs, found on a search path (the test seam).
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { HaupError } from '../errors.js';

export type ToolName = 'ip' | 'sshd' | 'nginx' | 'unshare' | 'nsenter' | 'mount';
export type LabTools = Readonly<Record<ToolName, string>>;

/** Each program the lab runs and the Debian package that ships it (keys are made in-process). */
export const LAB_TOOLS: Readonly<Record<ToolName, { readonly binary: string; readonly pkg: string }>> = {
  ip: { binary: 'ip', pkg: 'iproute2' },
  sshd: { binary: 'sshd', pkg: 'openssh-server' },
  nginx: { binary: 'nginx', pkg: 'nginx-light' },
  unshare: { binary: 'unshare', pkg: 'util-linux' },
  nsenter: { binary: 'nsenter', pkg: 'util-linux' },
  mount: { binary: 'mount', pkg: 'mount' },
};

/** sbin directories are searched even when PATH lacks them (sudo and su often drop them). */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** HAUP_LAB_PATH replaces the whole search path: tests use it to hide a program. */
export function toolSearchPath(env: NodeJS.ProcessEnv): string {
  return env.HAUP_LAB_PATH ?? [env.PATH, SYSTEM_PATH].filter(Boolean).join(':');
}

export function findTools(
  searchPath: string,
  isExecutable: (file: string) => boolean,
): { tools: LabTools; missing: readonly ToolName[] } {
  const dirs = searchPath.split(':').filter((d) => d.startsWith('/'));
  const found: Partial<Record<ToolName, string>> = {};
  const missing: ToolName[] = [];
  for (const name of Object.keys(LAB_TOOLS) as ToolName[]) {
    const file = dirs.map((d) => join(d, LAB_TOOLS[name].binary)).find(isExecutable);
    if (file === undefined) missing.push(name);
    else found[name] = file;
  }
  return { tools: found as LabTools, missing };
}

export function missingToolsError(missing: readonly ToolName[], searchPath: string): HaupError {
  const pkgs = [...new Set(missing.map((m) => LAB_TOOLS[m].pkg))];
  const binaries = missing.map((m) => LAB_TOOLS[m].binary);
  return new HaupError('HAUP_MISSING_PACKAGES', `haup lab needs ${binaries.join(', ')}, not found on this machine`, {
    details: [...missing.map((m) => `${LAB_TOOLS[m].binary}: Debian package ${LAB_TOOLS[m].pkg}`), `searched: ${searchPath}`],
    hint: `install them: apt-get install -y ${pkgs.join(' ')}`,
  });
}

export function notRootError(what: string, uid: number): HaupError {
  return new HaupError('HAUP_NOT_ROOT', `${what} needs root (running as uid ${uid})`, {
    hint: 'network namespaces, bridges and mounts need root — run it with sudo',
  });
}

export function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Throws HAUP_NOT_ROOT or HAUP_MISSING_PACKAGES for the programs `needed` (all by default: `down`
 * needs only ip, so it still works after nginx was removed); returns absolute paths of those found.
 */
export function preflightLab(what: string, env: NodeJS.ProcessEnv = process.env, needed?: readonly ToolName[]): LabTools {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) throw notRootError(what, uid);
  const searchPath = toolSearchPath(env);
  const { tools, missing } = findTools(searchPath, isExecutableFile);
  const blocking = needed === undefined ? missing : missing.filter((m) => needed.includes(m));
  if (blocking.length > 0) throw missingToolsError(blocking, searchPath);
  return tools;
}
