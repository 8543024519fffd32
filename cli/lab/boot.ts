// Booting the hosts: one detached launcher for all of them, then polling until each one answers.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { HaupError } from '../errors.js';
import { hostPageText, launcherScript, parseLauncherOutput } from './host-files.js';
import type { LabPaths } from './paths.js';
import { isRunning, pollUntil, runCommand, tailLines } from './proc.js';
import { httpBody, sshAnswers } from './readiness.js';
import { writeLabState, type LabState } from './state.js';
import { SYSTEM_PATH, type LabTools } from './tools.js';

/**
 * One detached launcher starts every host in the background and prints their pids: one spawn from
 * this (possibly large) Node process instead of one per host. Each host's pid is its sshd's.
 */
export async function startHosts(tools: LabTools, paths: LabPaths, state: LabState): Promise<void> {
  const launcher = launcherScript(
    state.hosts.map((h) => ({ index: h.index, ns: h.ns, initScript: paths.host(h.index).initScript, console: paths.host(h.index).console })),
    tools,
  );
  writeFileSync(paths.launcher, launcher, { mode: 0o755 });
  const res = await runCommand('/bin/sh', [paths.launcher], { detached: true, env: { PATH: SYSTEM_PATH, LANG: 'C.UTF-8' } });
  const pids = parseLauncherOutput(res.stdout);
  for (const host of state.hosts) {
    const pid = pids.get(host.index);
    if (pid !== undefined) host.sshdPid = pid;
  }
  writeLabState(paths.state, state);
  if (res.code !== 0 || pids.size !== state.hosts.length) {
    throw new HaupError('HAUP_LAB_FAILED', `lab ${state.name}: the host launcher ${paths.launcher} failed (exit ${res.code})`, {
      details: tailLines(res.stderr),
    });
  }
}

export async function waitReady(paths: LabPaths, state: LabState, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
  const timeoutMs = opts.timeoutMs;
  const failures: string[] = [];
  await Promise.all(
    state.hosts.map(async (host) => {
      const pid = host.sshdPid ?? 0;
      let sshOk = false;
      let stopped = false;
      const ready = await pollUntil(
        async () => {
          if (opts.signal?.aborted) return true;
          if (!isRunning(pid)) return (stopped = true);
          // sshd writes its pidfile once it listens: probing earlier would send the first SYN before
          // the host has its address, and the workstation's ARP would only retry a second later.
          if (!sshOk && !existsSync(`/proc/${pid}/root/run/sshd.pid`)) return false;
          sshOk ||= await sshAnswers(host.address);
          if (!sshOk) return false;
          return (await httpBody(host.address))?.includes(hostPageText(host.name).trim()) ?? false;
        },
        { timeoutMs, intervalMs: 20 },
      );
      if (stopped || !ready) {
        const why = stopped ? 'its init stopped' : `no ${sshOk ? 'nginx page' : 'sshd answer'} within ${seconds(timeoutMs)}`;
        const log = readFileOr(paths.host(host.index).console);
        failures.push(`${host.name} (${host.address}): ${why}`, ...tailLines(log, 8).map((l) => `  ${host.name} console: ${l}`));
      }
    }),
  );
  opts.signal?.throwIfAborted();
  if (failures.length > 0) {
    throw new HaupError('HAUP_LAB_FAILED', `lab ${state.name}: ${failures.filter((f) => !f.startsWith(' ')).length} host(s) did not come up`, {
      details: failures,
      hint: "the console lines are the host init's and sshd's own output; the half-built lab has been removed",
    });
  }
}

export function readPidFile(file: string): number | undefined {
  const pid = Number(readFileOr(file).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function readFileOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
