// Resolves each node of a pair: merged settings plus built-in defaults, secrets read, check and SSH
// settings completed. Pure: secret files are read through an injected function.
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { isHost, parseAddress, type ParsedAddress } from './address.js';
import { mergeSettings, pairSettings, type MergedSettings } from './merge.js';
import type { CheckSpec, Engine, Role, SshSpec } from './model.js';
import { error, warning, type Path, type Problem } from './problems.js';
import type { RawPair, RawSettings } from './schema.js';

export type SecretReader = (absPath: string) => { ok: true; text: string } | { ok: false; error: string };

export interface ResolveContext {
  baseDir: string;
  home: string;
  /** Dot-joined paths of strings that used `${VAR}`. */
  referenced: ReadonlySet<string>;
  readSecretFile: SecretReader;
}

export interface ResolvedNode {
  role: Role;
  path: Path;
  host: string;
  name: string | null;
  priority: number;
  state: 'MASTER' | 'BACKUP' | null;
  s: MergedSettings;
  engine: Engine;
  iface: string | null;
  advertInt: number;
  version: 2 | 3;
  preempt: boolean;
  preemptDelay: number | null;
  unicast: boolean;
  /** null: no auth; 'invalid': a problem was reported. */
  auth: { pass: string; origin: Path } | null | 'invalid';
  check: CheckSpec | null | 'invalid';
  ssh: SshSpec;
}

export interface ResolvedVip {
  path: Path;
  parsed: ParsedAddress | null;
  dev: string | null;
  label: string | null;
}

export interface ResolvedPair {
  index: number;
  path: Path;
  raw: RawPair;
  instance: string;
  master: ResolvedNode;
  backup: ResolvedNode;
  vips: ResolvedVip[];
}

export const BUILTIN = { engine: 'haup', advert_int: 1, vrrp_version: 2, preempt: true, unicast: false } as const;
export const CHECK_DEFAULTS = { interval: 3, weight: 0, rise: 1, fall: 1, host: '127.0.0.1' } as const;
const SERVICE_TEMPLATES = new Set(['nginx', 'haproxy']);

export function expandPath(p: string, ctx: Pick<ResolveContext, 'baseDir' | 'home'>): string {
  if (p === '~') return ctx.home;
  if (p.startsWith('~/')) return resolvePath(ctx.home, p.slice(2));
  return isAbsolute(p) ? p : resolvePath(ctx.baseDir, p);
}

export function resolvePair(raw: RawPair, index: number, defaults: RawSettings | undefined, ctx: ResolveContext, problems: Problem[]): ResolvedPair {
  const path: Path = ['pairs', index];
  const node = (role: Role): ResolvedNode => {
    const rawNode = raw[role];
    const nodePath: Path = [...path, role];
    const s = mergeSettings([
      { path: ['defaults'], settings: defaults },
      { path, settings: pairSettings(raw) },
      { path: nodePath, settings: rawNode },
    ]);
    return {
      role,
      path: nodePath,
      host: rawNode.host,
      name: rawNode.name ?? null,
      priority: rawNode.priority,
      state: rawNode.state ?? null,
      s,
      engine: s.engine?.value ?? BUILTIN.engine,
      iface: s.interface?.value ?? null,
      advertInt: s.advert_int?.value ?? BUILTIN.advert_int,
      version: s.vrrp_version?.value ?? BUILTIN.vrrp_version,
      preempt: s.preempt?.value ?? BUILTIN.preempt,
      preemptDelay: s.preempt_delay?.value ?? null,
      unicast: s.unicast?.value ?? BUILTIN.unicast,
      auth: resolveAuth(s, ctx, problems),
      check: resolveCheck(s, nodePath, problems),
      ssh: resolveSsh(s, nodePath, ctx, problems),
    };
  };
  const vips = raw.vips.map((v, j): ResolvedVip => {
    const vpath: Path = [...path, 'vips', j];
    const parsed = parseAddress(v.address);
    if (!parsed) {
      problems.push(error([...vpath, 'address'], `"${v.address}" is not an IP address with an optional /prefix`, 'use e.g. 192.168.0.174, 192.168.0.174/24 or fd00::10/64'));
    }
    return { path: vpath, parsed, dev: v.dev ?? null, label: v.label ?? null };
  });
  return { index, path, raw, instance: raw.instance ?? `VI_${raw.name}`, master: node('master'), backup: node('backup'), vips };
}

const PASS_RE = /^[A-Za-z0-9._:@%^&*+=?~,/-]+$/;

function resolveAuth(s: MergedSettings, ctx: ResolveContext, problems: Problem[]): ResolvedNode['auth'] {
  const field = s.auth;
  if (!field || field.value === null) return null;
  const { pass, pass_file } = field.value;
  const at = field.origin;
  if (pass !== undefined && pass_file !== undefined) {
    problems.push(error(at, 'has both pass and pass_file', 'keep one of them'));
    return 'invalid';
  }
  let secret: string;
  let secretPath: Path;
  if (pass !== undefined) {
    secret = pass;
    secretPath = [...at, 'pass'];
    if (!ctx.referenced.has(secretPath.join('.'))) {
      problems.push(warning(secretPath, 'the password is written in the inventory in clear text', 'use pass: "${HAUP_<PAIR>_PASS}" or pass_file: so the secret stays out of the file'));
    }
  } else if (pass_file !== undefined) {
    secretPath = [...at, 'pass_file'];
    const file = expandPath(pass_file, ctx);
    const read = ctx.readSecretFile(file);
    if (!read.ok) {
      problems.push(error(secretPath, `cannot read ${file}: ${read.error}`, 'create the file (mode 0600) with the password on its first line'));
      return 'invalid';
    }
    secret = read.text.split(/\r?\n/)[0] ?? '';
  } else {
    problems.push(error(at, 'has neither pass nor pass_file', 'add pass: "${HAUP_WEB_PASS}" or pass_file: path, or write auth: none'));
    return 'invalid';
  }
  // Never echo the secret: messages describe it only by length and character class.
  if (secret.length === 0) {
    problems.push(error(secretPath, 'the password is empty', 'set a password of 1..8 characters'));
    return 'invalid';
  }
  if (secret.length > 8) {
    problems.push(error(secretPath, `the password is ${secret.length} characters; VRRPv2 PASS auth carries at most 8 and keepalived silently truncates it`, 'use at most 8 characters'));
    return 'invalid';
  }
  if (!PASS_RE.test(secret)) {
    problems.push(error(secretPath, 'the password contains a character haup does not allow (space, quote, brace, #, !, $, backslash or backtick)', 'use letters, digits and . _ : @ % ^ & * + = ? ~ , / -'));
    return 'invalid';
  }
  return { pass: secret, origin: at };
}

function resolveCheck(s: MergedSettings, nodePath: Path, problems: Problem[]): ResolvedNode['check'] {
  const field = s.check;
  if (!field || field.value === null) return null;
  const c = field.value;
  const template = c.template?.value;
  if (template === undefined) {
    problems.push(error(field.origin, 'has no template', 'add template: nginx (or haproxy, tcp, http, or your own), or write check: none'));
    return 'invalid';
  }
  const service = c.service?.value ?? (SERVICE_TEMPLATES.has(template) ? template : null);
  const spec: CheckSpec = {
    template,
    interval: c.interval?.value ?? CHECK_DEFAULTS.interval,
    timeout: c.timeout?.value ?? null,
    weight: c.weight?.value ?? CHECK_DEFAULTS.weight,
    rise: c.rise?.value ?? CHECK_DEFAULTS.rise,
    fall: c.fall?.value ?? CHECK_DEFAULTS.fall,
    service,
    process: c.process?.value ?? service,
    pidfile: c.pidfile?.value ?? (service ? `/run/${service}.pid` : null),
    start: c.start?.value ?? null,
    host: c.host?.value ?? CHECK_DEFAULTS.host,
    port: c.port?.value ?? null,
    url: c.url?.value ?? null,
    stepAside: c.step_aside?.value ?? SERVICE_TEMPLATES.has(template),
  };
  let ok = true;
  if (template === 'tcp' && spec.port === null) {
    problems.push(error(field.origin, 'check template tcp needs a port', 'add port: 80 (and host: if not 127.0.0.1)'));
    ok = false;
  }
  if (template === 'http' && spec.url === null) {
    problems.push(error(field.origin, 'check template http needs a url', 'add url: http://127.0.0.1/'));
    ok = false;
  }
  if (c.host && !isHost(c.host.value)) {
    problems.push(error(c.host.origin, `"${c.host.value}" is not an IP address or host name`, 'use e.g. 127.0.0.1'));
    ok = false;
  }
  if (spec.timeout !== null && spec.timeout > spec.interval * 10) {
    problems.push(warning(c.timeout?.origin ?? nodePath, `timeout ${spec.timeout} s is much longer than the interval ${spec.interval} s`, 'a hung check delays failover; keep timeout near the interval'));
  }
  return ok ? spec : 'invalid';
}

function resolveSsh(s: MergedSettings, nodePath: Path, ctx: ResolveContext, problems: Problem[]): SshSpec {
  const x = s.ssh;
  const spec: SshSpec = {
    user: x.user?.value ?? 'root',
    port: x.port?.value ?? 22,
    key: x.key ? expandPath(x.key.value, ctx) : null,
    knownHosts: expandPath(x.known_hosts?.value ?? '~/.ssh/known_hosts', ctx),
    jump: x.jump?.value ?? null,
    sudo: x.sudo?.value ?? false,
    connectTimeout: x.connect_timeout?.value ?? 10,
  };
  if (spec.user !== 'root' && !spec.sudo) {
    problems.push(error(x.user?.origin ?? nodePath, `user ${spec.user} is not root and sudo is off; deploying needs root`, 'set ssh.sudo: true (passwordless sudo) or use user: root'));
  }
  return spec;
}
