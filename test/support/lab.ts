// Test helpers for a real lab: start one through cli/lab directly, run commands inside its hosts.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { labDown } from '../../cli/lab/down.js';
import { labUp } from '../../cli/lab/up.js';
import { LAB_TOOLS, findTools, isExecutableFile, toolSearchPath, type LabTools } from '../../cli/lab/tools.js';

export interface TestLabHost {
  readonly index: number;
  /** h1, h2, ... (also each host's hostname). */
  readonly name: string;
  readonly address: string;
  /** Network namespace name (`ip netns exec NS ...`). */
  readonly ns: string;
  /** The host's init process, which is its sshd; its namespaces are the host. */
  readonly sshdPid: number;
}

export interface TestLab {
  readonly name: string;
  readonly subnet: string;
  readonly hosts: readonly TestLabHost[];
  readonly keyPath: string;
  readonly knownHostsPath: string;
  readonly inventoryPath: string;
  readonly workstationAddress: string;
  readonly stateDir: string;
  /** Removes everything the lab made; safe to call twice. */
  down(): Promise<void>;
}

export interface HostExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Why lab tests cannot run here, or undefined when they can. Use it as
 * `const skip = labSkipReason(); test('...', { skip }, ...)` so a skip says why, loudly.
 */
export function labSkipReason(): string | undefined {
  if ((process.getuid?.() ?? 0) !== 0) return 'needs root: network namespaces, bridges and mounts';
  const { missing } = findTools(toolSearchPath(process.env), isExecutableFile);
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((m) => LAB_TOOLS[m].pkg))].join(' ');
    return `needs ${missing.map((m) => LAB_TOOLS[m].binary).join(', ')}: apt-get install -y ${pkgs}`;
  }
  return undefined;
}

/**
 * Starts a fresh lab (removing any leftover of the same name from a crashed run first). Use a name
 * unique to your test file (1-8 of a-z0-9) so test files can run side by side.
 */
export async function startLab(opts: { name: string; hosts: number; subnet?: string }): Promise<TestLab> {
  await labDown({ name: opts.name });
  const { status } = await labUp({ name: opts.name, hosts: opts.hosts, subnet: opts.subnet });
  let downed = false;
  return {
    name: status.name,
    subnet: status.subnet,
    hosts: status.hosts.map((h) => {
      if (h.sshdPid === undefined) throw new Error(`lab ${status.name}: ${h.name} has no sshd pid`);
      return { index: h.index, name: h.name, address: h.address, ns: h.ns, sshdPid: h.sshdPid };
    }),
    keyPath: status.keyPath,
    knownHostsPath: status.knownHostsPath,
    inventoryPath: status.inventoryPath,
    workstationAddress: status.workstation,
    stateDir: status.stateDir,
    down: async () => {
      if (downed) return;
      downed = true;
      await labDown({ name: status.name });
    },
  };
}

export function findHost(lab: TestLab, host: TestLabHost | string): TestLabHost {
  if (typeof host !== 'string') return host;
  const found = lab.hosts.find((h) => h.name === host || h.address === host);
  if (!found) throw new Error(`lab ${lab.name} has no host ${host} (it has ${lab.hosts.map((h) => h.name).join(', ')})`);
  return found;
}

/**
 * argv that runs a program inside a host: its mount, UTS and network namespaces, in the caller's
 * working directory (the repository is visible in every host: only a few directories are private).
 */
export function hostArgv(lab: TestLab, host: TestLabHost | string, argv: readonly string[]): string[] {
  const h = findHost(lab, host);
  return [tools().nsenter, '-t', String(h.sshdPid), '-m', '-u', '-n', `--wd=${process.cwd()}`, '--', ...argv];
}

/**
 * Runs argv inside a host (nsenter into its namespaces; no ssh, a few milliseconds) and collects the
 * output. Never throws for a non-zero exit; a timeout kills it and gives code 124.
 */
export function hostExec(
  lab: TestLab,
  host: TestLabHost | string,
  argv: readonly string[],
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<HostExecResult> {
  const [file, ...args] = hostArgv(lab, host, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(file as string, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: timedOut ? 124 : (code ?? (signal ? 128 : 1)),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

/**
 * Starts a long-running program inside a host. It dies with the lab at down(); kill it earlier by
 * its pid (child.pid is nsenter's, which execs the program, so it is the program's own pid).
 */
export function hostSpawn(lab: TestLab, host: TestLabHost | string, argv: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  const [file, ...args] = hostArgv(lab, host, argv);
  return spawn(file as string, args, { stdio: 'ignore', ...opts });
}

let cachedTools: LabTools | undefined;
function tools(): LabTools {
  if (!cachedTools) {
    const { tools: found, missing } = findTools(toolSearchPath(process.env), isExecutableFile);
    if (missing.length > 0) throw new Error(`lab tools missing: ${missing.join(', ')} (check labSkipReason() first)`);
    cachedTools = found;
  }
  return cachedTools;
}
