// Helpers for deploy tests in a lab: run a deploy in-process and keep its report, look inside hosts (agent pid,
// VIP holders, file hashes), and probe a VIP over HTTP from the workstation the way a client would.
import { copyFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { HaupError } from '../../../cli/errors.js';
import { runDeploy, type DeployArgs, type DeployIo } from '../../../cli/deploy/run.js';
import type { DeployReport } from '../../../cli/deploy/report.js';
import { hostExec, type TestLab } from '../../support/lab.js';

export interface DeployOutcome {
  report: DeployReport;
  error: HaupError | null;
  stdout: string;
  stderr: string;
}

/** Runs a deploy with a JSON report and no progress display; a failed deploy returns its error instead of throwing. */
export async function deploy(args: DeployArgs, io: Partial<DeployIo> = {}): Promise<DeployOutcome> {
  let stdout = '';
  let stderr = '';
  const out = { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WritableStream;
  const err = { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream;
  try {
    const report = await runDeploy({ ...args, json: true }, { out, err, progress: 'silent', ...io });
    return { report, error: null, stdout, stderr };
  } catch (e) {
    if (!(e instanceof HaupError)) throw e;
    if (!stdout.trim()) throw e; // failed before any host was touched (usage, inventory)
    return { report: JSON.parse(stdout) as DeployReport, error: e, stdout, stderr };
  }
}

async function sh(lab: TestLab, host: string, script: string): Promise<string> {
  const r = await hostExec(lab, host, ['sh', '-c', script]);
  if (r.code !== 0) throw new Error(`${host}: ${script}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The live agent's pid on a host (from its pidfile), or null. */
export async function agentPid(lab: TestLab, host: string, pidfile = '/run/haup/haup-agent.pid'): Promise<number | null> {
  // A zombie (state Z, not yet reaped by PID 1) counts as gone.
  const out = await sh(lab, host, `p=$(cat ${pidfile} 2>/dev/null); if [ -n "$p" ] && [ -d /proc/$p ] && ! grep -q '^State:.*[ZX]' /proc/$p/status 2>/dev/null; then echo $p; fi`);
  return out.trim() ? Number(out.trim()) : null;
}

/** Hosts (by name) that have `vip` on an interface. */
export async function vipHolders(lab: TestLab, vip: string, hosts: readonly string[]): Promise<string[]> {
  const held = await Promise.all(hosts.map(async (h) => ((await sh(lab, h, 'ip -o -4 addr show')).includes(` ${vip}/`) ? h : null)));
  return held.filter((h): h is string => h !== null);
}

/** SHA-256 of a file on a host ('' when missing). */
export async function fileHash(lab: TestLab, host: string, path: string): Promise<string> {
  return (await sh(lab, host, `sha256sum ${path} 2>/dev/null | cut -d' ' -f1`)).trim();
}

export async function agentStatus(lab: TestLab, host: string): Promise<{ configHash: string; pid: number; instances: { name: string; state: string }[] } | null> {
  const text = await sh(lab, host, 'cat /run/haup/agent-state.json 2>/dev/null || true');
  return text.trim() ? JSON.parse(text) : null;
}

/** Polls until `check` returns a value (not null/false) or the timeout; returns the last value. */
export async function until<T>(what: string, check: () => Promise<T | null | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== null && v !== false) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One HTTP GET to the VIP: the lab host that answered, or null. */
export function fetchHost(vip: string, timeoutMs = 1000): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: vip, port: 80, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(/haup lab host (\S+)/.exec(body)?.[1] ?? null));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
  });
}

export interface ProbeResult {
  ok: number;
  failed: number;
  /** Which host answered, in order, collapsed: ["h1"] or ["h1", "h2", "h1"]. */
  answeredBy: string[];
  errors: string[];
}

/** HTTP GET to http://VIP/ every `everyMs` from the workstation until stop(); the lab's nginx names the host. */
export function probe(vip: string, everyMs = 15): { stop: () => Promise<ProbeResult> } {
  const result: ProbeResult = { ok: 0, failed: 0, answeredBy: [], errors: [] };
  let running = true;
  const once = () =>
    new Promise<void>((resolve) => {
      const req = http.get({ host: vip, port: 80, path: '/', agent: false, timeout: 500 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          const who = /haup lab host (\S+)/.exec(body)?.[1] ?? `status ${res.statusCode}`;
          result.ok += 1;
          if (result.answeredBy[result.answeredBy.length - 1] !== who) result.answeredBy.push(who);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        result.failed += 1;
        if (result.errors.length < 10) result.errors.push(e.message);
        resolve();
      });
    });
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await once();
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (performance.now() - t0))));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return result;
    },
  };
}

/**
 * Builds the agent bundle the way build.mjs does (one CJS file for Node 18, plus the addon) into `dir`, so the
 * tests do not depend on whatever dist/ holds. Returns `dir`, for --agent.
 */
export async function buildAgentBundle(dir: string): Promise<string> {
  const repo = join(import.meta.dirname, '..', '..', '..');
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [join(repo, 'agent/main.ts')],
    outfile: join(dir, 'haup-agent.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    define: { 'process.env.HAUP_VERSION': '"test"' },
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'silent',
  });
  copyFileSync(join(repo, 'agent/native/build/Release/haup_raw.node'), join(dir, 'haup_raw.node'));
  return dir;
}
