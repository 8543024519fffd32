// The machine report of a deploy (`--json`, stable field names) and the counts the summary line shows. Pure.
import { HaupError } from '../errors.js';
import type { HostModel, PairModel } from '../inventory/model.js';
import type { ServiceAction } from '../plan/plan.js';

/**
 * unchanged: nothing to do; changed: files written and/or daemon started/reloaded/restarted, and it is ready;
 * planned: --check, this is what would change; untouched: not changed because the pair failed elsewhere;
 * failed: could not be changed (connect, facts, push, check) and is as it was; rolled-back: changed, failed,
 * and put back to its previous files and daemon; rollback-failed: needs a person.
 */
export type HostResult = 'unchanged' | 'changed' | 'planned' | 'untouched' | 'failed' | 'rolled-back' | 'rollback-failed';

export interface ErrorReport {
  code: string;
  message: string;
  details: string[];
}

export interface HostTimings {
  connectMs: number | null;
  factsMs: number | null;
  pushMs: number | null;
  serviceMs: number | null;
  waitMs: number | null;
  rollbackMs: number | null;
}

export interface HostReport {
  host: string;
  address: string;
  engine: 'haup' | 'keepalived';
  /** pair name -> this host's role in it. */
  roles: Record<string, 'master' | 'backup'>;
  /** Files written (or, with --check, that would be). */
  changed: string[];
  unchanged: string[];
  action: ServiceAction;
  reason: string;
  result: HostResult;
  pidBefore: number | null;
  pidAfter: number | null;
  /** Instance name -> state the node reported last. */
  states: Record<string, string>;
  timings: HostTimings;
  /** Remote round trips (commands and file batches) this host took: facts 1, push 1, service 1, waits 1-3. */
  roundTrips: number;
  error: ErrorReport | null;
  /** Unified diffs of changed text files (--diff), secrets redacted. */
  diff: string | null;
}

export interface PairReport {
  pair: string;
  master: string;
  backup: string;
  result: 'ok' | 'failed' | 'planned';
  /** Exactly one node holds the VIPs, the expected one; null when not checked (--check, --limit to one node). */
  converged: boolean | null;
  error: ErrorReport | null;
  timings: { totalMs: number | null; convergeMs: number | null };
}

export interface DeployReport {
  version: 1;
  inventory: string;
  mode: 'deploy' | 'check';
  ok: boolean;
  /** Hosts whose files or daemon changed (or would, with --check). */
  changedHosts: number;
  changedFiles: number;
  durationMs: number;
  pairs: PairReport[];
  hosts: HostReport[];
}

export function newHostReport(h: HostModel): HostReport {
  return {
    host: h.id,
    address: h.host,
    engine: h.engine,
    roles: Object.fromEntries(h.instances.map((i) => [i.pair, i.role])),
    changed: [],
    unchanged: [],
    action: 'none',
    reason: '',
    result: 'unchanged',
    pidBefore: null,
    pidAfter: null,
    states: {},
    timings: { connectMs: null, factsMs: null, pushMs: null, serviceMs: null, waitMs: null, rollbackMs: null },
    roundTrips: 0,
    error: null,
    diff: null,
  };
}

export function newPairReport(p: PairModel, hosts: readonly HostModel[]): PairReport {
  const id = (name: string, host: string) => hosts.find((h) => h.instances.some((i) => i.pair === p.name) && (h.host === host || h.id === name))?.id ?? name;
  return {
    pair: p.name,
    master: id(p.master.id, p.master.host),
    backup: id(p.backup.id, p.backup.host),
    result: 'ok',
    converged: null,
    error: null,
    timings: { totalMs: null, convergeMs: null },
  };
}

export function errorReport(err: unknown): ErrorReport {
  if (err instanceof HaupError) return { code: err.code, message: err.message, details: [...err.details] };
  return { code: 'HAUP_INTERNAL', message: err instanceof Error ? err.message : String(err), details: [] };
}

export function finishReport(r: Omit<DeployReport, 'ok' | 'changedHosts' | 'changedFiles'>): DeployReport {
  const touched = r.hosts.filter((h) => h.changed.length > 0 || h.action !== 'none');
  return {
    ...r,
    ok: r.pairs.every((p) => p.result !== 'failed') && r.hosts.every((h) => h.error === null),
    changedHosts: r.mode === 'check' ? touched.length : touched.filter((h) => h.result === 'changed').length,
    changedFiles: (r.mode === 'check' ? touched : touched.filter((h) => h.result === 'changed')).reduce((n, h) => n + h.changed.length, 0),
  };
}
