// The agent's commands: `run` (the daemon: config -> pid file -> instances, signals), `check` and `status`.
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatDiagnostic } from './config/check.js';
import { createLogger, type Logger } from './log.js';
import { Agent } from './runtime/agent.js';
import { logDiagnostics, readConfig, reloadAgent, startAgent, stopAgent } from './runtime/lifecycle.js';
import { acquirePidFile, isAgentPid, releasePidFile } from './runtime/pidfile.js';
import { formatStatus } from './runtime/status-view.js';
import { readStatus, takeNotifyFd } from './status.js';

export const VERSION = process.env.HAUP_VERSION ?? 'dev';

export interface RunOptions {
  configFile: string;
  stateFile: string;
  pidFile: string;
  recordFile: string | null;
}

/**
 * Runs the agent in the foreground until SIGTERM/SIGINT; resolves with the exit code. A config with
 * errors, a pid file held by a live agent, or instances that cannot start give 1 before anything
 * on the network or the interfaces changes.
 */
export async function runAgent(opts: RunOptions, log: Logger = createLogger()): Promise<number> {
  // First, before anything can start a child process that would inherit it.
  const notifyFd = takeNotifyFd();
  const loaded = readConfig(opts.configFile);
  logDiagnostics(log, loaded.diagnostics);
  if (loaded.errors > 0) {
    log.error(`${opts.configFile}: ${loaded.errors} error${loaded.errors === 1 ? '' : 's'}; not starting (haup-agent check ${opts.configFile} lists them)`);
    return 1;
  }
  const held = acquirePidFile(opts.pidFile);
  if (!held.ok) {
    log.error(`another haup-agent (pid ${held.pid}) is running and holds ${opts.pidFile}; stop it first (or give --pid-file)`);
    return 1;
  }
  if (opts.recordFile) mkdirSync(dirname(opts.recordFile), { recursive: true });
  const record = opts.recordFile ? createWriteStream(opts.recordFile, { flags: 'a' }) : undefined;
  record?.on('error', (err) => log.error(`--record ${opts.recordFile}: ${err.message}`));
  const agent = new Agent({
    configFile: opts.configFile,
    stateFile: opts.stateFile,
    log,
    version: VERSION,
    notifyFd,
    ...(record ? { record: (line: string) => void record.write(`${line}\n`) } : {}),
  });
  log.info(`haup-agent ${VERSION} (pid ${process.pid}, node ${process.version}) starting with ${opts.configFile}`);

  let done: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (done = resolve));
  const finish = (code: number) => {
    releasePidFile(opts.pidFile);
    record?.end();
    done(code);
  };
  let reloads = Promise.resolve();
  const onHup = () => {
    reloads = reloads.then(() => reloadAgent(agent)).catch((err: unknown) => log.error(`reload failed: ${(err as Error).stack ?? String(err)}`));
  };
  let stopping: Promise<void> | undefined;
  const onStop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.info(`received ${signal} again: already stopping`);
      return;
    }
    stopping = stopAgent(agent, `received ${signal}`)
      .catch((err: unknown) => log.error(`while stopping: ${(err as Error).stack ?? String(err)}`))
      .then(() => finish(0));
  };
  const onCrash = (err: unknown) => {
    log.error(`internal error, exiting: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    releasePidFile(opts.pidFile);
    process.exit(1);
  };
  process.on('SIGHUP', onHup);
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  const delayMs = loaded.config.globalDefs.startupDelay * 1000;
  if (delayMs > 0) {
    log.info(`vrrp_startup_delay: waiting ${loaded.config.globalDefs.startupDelay} s before starting the instances`);
    // SIGTERM during the delay ends it at once (the timer must not hold the exit back).
    await Promise.race([new Promise((r) => setTimeout(r, delayMs).unref()), finished]);
  }
  if (!agent.stopping) {
    try {
      await startAgent(agent, loaded.config, loaded.hash);
    } catch (err) {
      log.error(`cannot start: ${(err as Error).message}`);
      await stopAgent(agent, 'start failed');
      finish(1);
    }
  }
  return finished;
}

/** `haup-agent check FILE`: every diagnostic as file:line; 0 when the file can run (warnings allowed). */
export function checkConfig(file: string, out: (s: string) => void = (s) => void process.stdout.write(s)): number {
  const loaded = readConfig(file);
  for (const d of loaded.diagnostics) out(`${formatDiagnostic(d)}\n`);
  const warnings = loaded.diagnostics.length - loaded.errors;
  const counts = `${loaded.errors} error${loaded.errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  if (loaded.errors > 0) {
    out(`${file}: ${counts} — not usable\n`);
    return 1;
  }
  const c = loaded.config;
  out(`${file}: OK (${c.instances.length} vrrp_instance, ${c.scripts.length} vrrp_script, ${c.syncGroups.length} vrrp_sync_group; ${counts})\n`);
  return 0;
}

/** `haup-agent status [--json]`: 0 when the agent runs, 3 when the status file is stale, 1 when there is none. */
export function showStatus(stateFile: string, json: boolean, out: (s: string) => void = (s) => void process.stdout.write(s), err: (s: string) => void = (s) => void process.stderr.write(s)): number {
  let status;
  try {
    status = readStatus(stateFile);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    err(`haup-agent status: ${code === 'ENOENT' ? `no status file ${stateFile}: is haup-agent running?` : `cannot read ${stateFile}: ${(e as Error).message}`}\n`);
    return 1;
  }
  const running = isAgentPid(status.pid);
  if (json) out(`${JSON.stringify({ ...status, running }, null, 2)}\n`);
  else out(formatStatus(status, new Date(), running));
  return running ? 0 : 3;
}
