// Track scripts: each vrrp_script some instance tracks runs once per interval (shared by all its instances), with rise/fall.
import { createCheck, recordResult, type CheckCounter } from '../checks/hysteresis.js';
import { checkScriptSecurity, runScript, type ScriptResult } from '../checks/runner.js';
import type { ScriptUser, VrrpScript } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { ScriptStatus } from './tracking.js';
import { resolveScriptUser, systemAccounts, type Account } from './users.js';

export interface ScriptPolicy {
  /** global_defs enable_script_security. */
  security: boolean;
  /** global_defs script_user. */
  defaultUser: ScriptUser | undefined;
}

/** Why a script may not run (script security, unknown user), or null when it may; with the account to run it as. */
export function scriptPermit(line: string, user: ScriptUser | undefined, policy: ScriptPolicy): { refused: string } | { account: Account | null } {
  const { passwd, groups } = systemAccounts();
  const who = resolveScriptUser(user ?? policy.defaultUser, passwd, groups);
  if (!who.ok) return { refused: who.error };
  if (policy.security) {
    const problems = checkScriptSecurity(line);
    if (problems.length > 0) return { refused: `unsafe with enable_script_security: ${problems.join('; ')}` };
  }
  return { account: who.account };
}

export function describeResult(r: ScriptResult): string {
  if (r.error) return `could not run: ${r.error}`;
  if (r.timedOut) return `timed out after ${r.durationMs} ms`;
  return r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
}

class TrackScript {
  counter: CheckCounter;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastError: string | undefined;

  constructor(
    readonly cfg: VrrpScript,
    readonly signature: string,
    private readonly account: Account | null,
    private readonly log: Logger,
    private readonly onChange: (name: string) => void,
  ) {
    this.counter = createCheck(cfg.rise, cfg.fall, cfg.initFail);
  }

  /**
   * The first run waits for the current tick, as keepalived starts its scripts after its instances: a starting agent
   * writes its first status (its readiness) before it loads child_process and spawns the script (~16 ms in the lab).
   */
  start(): void {
    setImmediate(() => {
      if (!this.stopped) void this.runOnce();
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async runOnce(): Promise<void> {
    const c = this.cfg;
    let result: ScriptResult;
    try {
      result = await runScript(c.script, { timeoutMs: c.timeout * 1000, ...(this.account ? { uid: this.account.uid, gid: this.account.gid } : {}) });
    } catch (err) {
      result = { ok: false, code: null, signal: null, timedOut: false, durationMs: 0, error: (err as Error).message };
    }
    if (this.stopped) return;
    if (result.error !== this.lastError && result.error !== undefined) this.log.error(`vrrp_script ${c.name}: ${c.script}: ${describeResult(result)}`);
    this.lastError = result.error;
    const { check, changed } = recordResult(this.counter, result.ok);
    this.counter = check;
    if (changed) {
      // keepalived: "Script `chk_nginx` now returning 1" / "VRRP_Script(chk_nginx) succeeded".
      this.log.info(`vrrp_script ${c.name}: ${changed === 'up' ? 'succeeded' : `failed (${describeResult(result)})`} -> ${changed}`);
      this.onChange(c.name);
    }
    this.timer = setTimeout(() => void this.runOnce(), c.interval * 1000);
  }
}

export class ScriptPool {
  private readonly scripts = new Map<string, TrackScript>();
  private readonly refused = new Map<string, string>();

  constructor(
    private readonly log: Logger,
    private readonly onChange: (name: string) => void,
  ) {}

  status(name: string): ScriptStatus {
    if (this.refused.has(name)) return 'disabled';
    return this.scripts.get(name)?.counter.status ?? 'init';
  }

  /**
   * Runs exactly `wanted`. A script whose settings did not change keeps running with its rise/fall
   * state (no flap on reload); changed or new ones start undecided and run at once.
   */
  sync(wanted: readonly VrrpScript[], policy: ScriptPolicy): void {
    const next = new Map<string, { cfg: VrrpScript; signature: string; permit: ReturnType<typeof scriptPermit> }>();
    for (const cfg of wanted) {
      const permit = scriptPermit(cfg.script, cfg.user, policy);
      const { file: _f, line: _l, ...settings } = cfg;
      next.set(cfg.name, { cfg, permit, signature: JSON.stringify([settings, permit]) });
    }
    for (const [name, s] of this.scripts) {
      if (next.get(name)?.signature === s.signature) continue;
      s.stop();
      this.scripts.delete(name);
    }
    this.refused.clear();
    for (const [name, n] of next) {
      if ('refused' in n.permit) {
        // keepalived: "Disabling track script chk since not found/accessible/secure" — the instances ignore it.
        this.log.error(`vrrp_script ${name} (${n.cfg.file}:${n.cfg.line}): refusing to run ${n.cfg.script}: ${n.permit.refused}; instances ignore this script until it is fixed and the agent reloaded`);
        this.refused.set(name, n.permit.refused);
        continue;
      }
      if (this.scripts.has(name)) continue;
      const s = new TrackScript(n.cfg, n.signature, n.permit.account, this.log, this.onChange);
      this.scripts.set(name, s);
      s.start();
    }
  }

  stopAll(): void {
    for (const s of this.scripts.values()) s.stop();
    this.scripts.clear();
  }
}
