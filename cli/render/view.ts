// Template views: the model reshaped into what each template reads. Pure. Every string in a view is
// checked again before rendering, so no inventory value can inject a config directive or shell code.
import type { HostModel, InstanceModel, ScriptModel } from '../inventory/model.js';

export interface KeepalivedView {
  host: { id: string; host: string; name: string | null };
  engine: string;
  routerId: string;
  scripts: { name: string; path: string; template: string; interval: number; timeout: number; weight: number; rise: number; fall: number }[];
  instances: InstanceView[];
}

export interface InstanceView {
  name: string;
  pair: string;
  role: string;
  state: string;
  interface: string;
  vrid: number;
  priority: number;
  advertInt: string;
  version: number;
  v3: boolean;
  nopreempt: boolean;
  preemptDelay: number | null;
  auth: { type: string; pass: string } | null;
  vips: { address: string; dev: string; label: string | null }[];
  trackScripts: string[];
  unicast: { src: string; peers: string[] } | null;
  peer: { id: string; host: string; priority: number };
}

/** Re-check window after a restart: probe every 0.2 s for up to 2 s. */
export const RECHECK = { seconds: 2 } as const;

/** Seconds one probe (TCP connect, HTTP GET) may take: it must fit well inside the interval. */
export function probeTimeout(s: ScriptModel): number {
  return s.check.interval >= 3 ? 2 : 1;
}

export function restarts(s: ScriptModel): boolean {
  return s.check.service !== null || s.check.start !== null;
}

/**
 * keepalived counts a script killed by its timeout as a failure, so a check that restarts its service
 * gets time for the restart and the re-check (10 s); a plain probe gets its probe time plus 1 s.
 */
export function scriptTimeout(s: ScriptModel): number {
  if (s.check.timeout !== null) return s.check.timeout;
  return restarts(s) ? 10 : probeTimeout(s) + 1;
}

export function keepalivedView(host: HostModel): KeepalivedView {
  return {
    host: { id: host.id, host: host.host, name: host.name },
    engine: host.engine,
    routerId: host.id,
    scripts: host.scripts.map((s) => ({
      name: s.name, path: s.path, template: s.check.template, interval: s.check.interval,
      timeout: scriptTimeout(s), weight: s.check.weight, rise: s.check.rise, fall: s.check.fall,
    })),
    instances: host.instances.map(instanceView),
  };
}

function instanceView(i: InstanceModel): InstanceView {
  return {
    name: i.name,
    pair: i.pair,
    role: i.role,
    state: i.state,
    interface: i.interface,
    vrid: i.vrid,
    priority: i.priority,
    advertInt: String(i.advertInt),
    version: i.version,
    v3: i.version === 3,
    nopreempt: !i.preempt,
    preemptDelay: i.preemptDelay,
    auth: i.auth ? { type: i.auth.type, pass: i.auth.pass } : null,
    vips: i.vips.map((v) => ({ address: v.prefix === null ? v.address : `${v.address}/${v.prefix}`, dev: v.dev, label: v.label })),
    trackScripts: [...i.trackScripts],
    unicast: i.unicast ? { src: i.unicast.src, peers: [...i.unicast.peers] } : null,
    peer: { ...i.peer },
  };
}

export interface CheckView {
  host: { id: string; host: string; name: string | null };
  engine: string;
  script: { name: string; path: string };
  pairs: string;
  check: ScriptModel['check'];
  /** The check restarts a service (it has a service or a start command) before giving up. */
  restarts: boolean;
  serviceLabel: string;
  probeTimeout: number;
  recheckSeconds: number;
  url: { scheme: string; host: string; port: string; path: string } | null;
  daemon: { name: string; unit: string; pidfile: string };
}

export function checkView(host: HostModel, s: ScriptModel): CheckView {
  let url: CheckView['url'] = null;
  if (s.check.url !== null) {
    const u = new URL(s.check.url);
    const scheme = u.protocol.replace(/:$/, '');
    url = { scheme, host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port || (scheme === 'https' ? '443' : '80'), path: `${u.pathname}${u.search}` || '/' };
  }
  return {
    host: { id: host.id, host: host.host, name: host.name },
    engine: host.engine,
    script: { name: s.name, path: s.path },
    pairs: s.pairs.join(', '),
    check: { ...s.check, start: s.check.start ? [...s.check.start] : null },
    restarts: restarts(s),
    serviceLabel: s.check.service ?? s.check.start?.[0] ?? 'the service',
    probeTimeout: probeTimeout(s),
    recheckSeconds: RECHECK.seconds,
    url,
    daemon: { name: host.paths.service, unit: `${host.paths.service}.service`, pidfile: host.paths.pidfile },
  };
}

export interface UnitView {
  host: { id: string; host: string; name: string | null };
  nodeBin: string;
  paths: HostModel['paths'];
}

export function unitView(host: HostModel): UnitView {
  return { host: { id: host.id, host: host.host, name: host.name }, nodeBin: '/usr/bin/node', paths: { ...host.paths } };
}

/** Characters no view string may hold, per target: a last line of defence behind the schema. */
export const VIEW_UNSAFE = {
  config: /["'`{}\\\n\r\0#!$;\s]/,
  script: /["'`\\\n\r\0$]/,
  unit: /["'`\\\n\r\0$%;\s]/,
} as const;

/** Returns the dot-path of the first unsafe string in a view, or null when every string is safe. */
export function findUnsafe(view: unknown, unsafe: RegExp, path = ''): string | null {
  if (typeof view === 'string') return unsafe.test(view) ? path || '(root)' : null;
  if (Array.isArray(view)) {
    for (let i = 0; i < view.length; i++) {
      const r = findUnsafe(view[i], unsafe, `${path}[${i}]`);
      if (r) return r;
    }
  } else if (view !== null && typeof view === 'object') {
    for (const [k, v] of Object.entries(view)) {
      const r = findUnsafe(v, unsafe, path ? `${path}.${k}` : k);
      if (r) return r;
    }
  }
  return null;
}
