// Semantic checks across the parsed config: keepalived's warnings and fix-ups (same behaviour), plus errors for what cannot work.
import { parse, type ConfigReader, type ParseResult } from './parse.js';
import type { Diagnostic, HaupConfig, VrrpInstance } from './schema.js';

/** Longest interface label Linux accepts (IFNAMSIZ - 1). */
const MAX_LABEL = 15;
const V3_MAX_INTERVAL = 40.95;

/** Checks and normalises `config` (a copy is returned: nopreempt cleared, intervals rounded, ... as keepalived does). */
export function check(input: HaupConfig): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const warn = (at: { file: string; line: number }, message: string) => diagnostics.push({ severity: 'warning', file: at.file, line: at.line, message });
  const error = (at: { file: string; line: number }, message: string) => diagnostics.push({ severity: 'error', file: at.file, line: at.line, message });
  const config: HaupConfig = structuredClone(input);
  const scriptNames = new Set(config.scripts.map((s) => s.name));

  for (const inst of config.instances) {
    const n = inst.name;
    if (inst.interface === '') error(inst, `vrrp_instance ${n} has no interface — add 'interface eth0' (the interface the VIPs live on)`);
    if (inst.vrid === 0) error(inst, `vrrp_instance ${n} has no virtual_router_id — add one (1..255), the same on every node of the pair`);
    // keepalived: "(VI_1) No VIP specified; at least one is sensible"
    if (inst.vips.length === 0) warn(inst, `vrrp_instance ${n} has no virtual_ipaddress; at least one is sensible`);
    if (inst.priority === 255 && inst.nopreempt) {
      // keepalived: "(VI_1) nopreempt is incompatible with priority 255. resetting nopreempt"
      warn(inst, `${n}: nopreempt is incompatible with priority 255 (the address owner always takes over) — keepalived clears it`);
      inst.nopreempt = false;
    }
    if (inst.state === 'MASTER' && inst.nopreempt) {
      // keepalived: "(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing"
      warn(inst, `${n}: nopreempt does not work with state MASTER — keepalived clears it; use state BACKUP on both nodes for nopreempt`);
      inst.nopreempt = false;
    }
    if (inst.state === 'MASTER' && inst.preemptDelay > 0) {
      warn(inst, `${n}: preempt_delay does not work with state MASTER — keepalived clears it; use state BACKUP`);
      inst.preemptDelay = 0;
    }
    if (inst.version === 3 && inst.authentication) {
      // keepalived: "(VI_2) VRRP version 3 does not support authentication. Ignoring."
      warn(inst, `${n}: VRRP version 3 does not support authentication — it is ignored; remove the authentication block`);
      delete inst.authentication;
    }
    checkInterval(inst, warn);
    for (const v of inst.vips) {
      const dev = v.dev ?? inst.interface;
      if (v.label === undefined) continue;
      if (v.family === 6) error(v, `${v.address}: labels only exist for IPv4 addresses — remove 'label ${v.label}'`);
      else if (!v.label.startsWith(dev)) error(v, `label '${v.label}' must start with the interface name '${dev}' (e.g. ${dev}:1) — 'ip addr add' refuses it otherwise`);
      else if (v.label.length > MAX_LABEL) error(v, `label '${v.label}' is longer than ${MAX_LABEL} characters`);
    }
    const seen = new Set<string>();
    for (const v of inst.vips) {
      if (seen.has(v.address)) error(v, `${v.address} is listed twice in ${n}`);
      seen.add(v.address);
    }
    for (const t of inst.trackScripts) {
      if (!scriptNames.has(t.script)) error(t, `${n}: track_script ${t.script} is not defined — add 'vrrp_script ${t.script} { ... }' or fix the name`);
    }
    inst.trackScripts = inst.trackScripts.filter((t) => scriptNames.has(t.script));
    const fam = (a: string): 4 | 6 => (a.includes(':') ? 6 : 4);
    if (inst.unicastSrcIp && fam(inst.unicastSrcIp) !== inst.family) error(inst, `${n}: unicast_src_ip ${inst.unicastSrcIp} is not IPv${inst.family} like the instance`);
    for (const p of inst.unicastPeers) if (fam(p) !== inst.family) error(inst, `${n}: unicast_peer ${p} is not IPv${inst.family} like the instance`);
  }

  checkDuplicates(config.instances, error);
  checkSyncGroups(config, warn, error);
  checkScriptSecurity(config, warn);
  return { config, diagnostics };
}

/** keepalived vrrp_complete_instance: v2 intervals are whole seconds, v3 whole centiseconds up to 40.95 s. */
function checkInterval(inst: VrrpInstance, warn: (at: VrrpInstance, m: string) => void): void {
  const a = inst.advertInt;
  if (inst.version === 2) {
    if (!Number.isInteger(a)) {
      const r = Math.max(1, Math.round(a));
      // keepalived: "(VI_1) VRRPv2 advertisement interval 1.500000s must be an integer. rounding"
      warn(inst, `${inst.name}: VRRPv2 advert_int ${a}s must be whole seconds — rounded to ${r}s like keepalived; use version 3 for sub-second intervals`);
      inst.advertInt = r;
    }
    return;
  }
  if (a > V3_MAX_INTERVAL) {
    warn(inst, `${inst.name}: VRRPv3 advert_int ${a}s is more than ${V3_MAX_INTERVAL}s — using ${V3_MAX_INTERVAL}s like keepalived`);
    inst.advertInt = V3_MAX_INTERVAL;
    return;
  }
  const cs = Math.max(1, Math.round(a * 100));
  if (Math.abs(cs - a * 100) > 1e-6) {
    warn(inst, `${inst.name}: VRRPv3 advert_int ${a}s is not a multiple of 10ms — rounded to ${cs / 100}s like keepalived`);
    inst.advertInt = cs / 100;
  }
}

function checkDuplicates(instances: readonly VrrpInstance[], error: (at: { file: string; line: number }, m: string) => void): void {
  for (let i = 0; i < instances.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = instances[j] as VrrpInstance;
      const b = instances[i] as VrrpInstance;
      if (a.vrid !== 0 && a.vrid === b.vrid && a.family === b.family && a.interface === b.interface) {
        // keepalived: "VI_1 and VI_2 both use VRID 254 with IPv4 on interface eth0"
        error(b, `${a.name} and ${b.name} both use VRID ${a.vrid} with IPv${a.family} on interface ${a.interface} — give each instance on an interface its own virtual_router_id`);
      }
      for (const v of b.vips) {
        if (a.vips.some((x) => x.address === v.address)) error(v, `${v.address} is in both ${a.name} and ${b.name} — a VIP can belong to one instance only`);
      }
    }
  }
}

function checkSyncGroups(config: HaupConfig, warn: (at: { file: string; line: number }, m: string) => void, error: (at: { file: string; line: number }, m: string) => void): void {
  const owner = new Map<string, string>();
  for (const g of config.syncGroups) {
    const valid: string[] = [];
    for (const m of g.members) {
      const inst = config.instances.find((i) => i.name === m);
      if (!inst) {
        error(g, `vrrp_sync_group ${g.name}: vrrp_instance ${m} does not exist — fix the name or remove it`);
        continue;
      }
      const other = owner.get(m);
      if (other !== undefined) {
        error(g, `vrrp_instance ${m} is in sync groups ${other} and ${g.name} — an instance can be in one sync group only`);
        continue;
      }
      owner.set(m, g.name);
      valid.push(m);
      // keepalived: "(A) ignoring tracked script s1 with weights due to SYNC group"
      for (const t of inst.trackScripts.filter((t) => t.weight !== 0)) {
        warn(t, `${m}: track_script ${t.script} has a weight, which sync group members cannot use — it is ignored (keepalived does the same); use weight 0`);
      }
      inst.trackScripts = inst.trackScripts.filter((t) => t.weight === 0);
    }
    if (valid.length === 0) error(g, `vrrp_sync_group ${g.name} has no valid members — list instances in 'group { ... }'`);
    else if (valid.length === 1) warn(g, `vrrp_sync_group ${g.name} has only 1 virtual router — this probably isn't what you want`);
    g.members = valid;
  }
}

/** keepalived: "SECURITY VIOLATION - scripts are being executed but script_security not enabled." */
function checkScriptSecurity(config: HaupConfig, warn: (at: { file: string; line: number }, m: string) => void): void {
  if (config.globalDefs.enableScriptSecurity) return;
  const notifies = [...config.instances, ...config.syncGroups].flatMap((x) => Object.values(x.notify));
  const tracked = config.instances.flatMap((i) => i.trackScripts);
  const first = [...tracked, ...notifies].sort((a, b) => (a.file === b.file ? a.line - b.line : 0))[0];
  if (first) {
    warn(first, 'scripts will run as root but enable_script_security is not set — add it to global_defs so scripts writable by other users are refused (keepalived: SECURITY VIOLATION)');
  }
}

/** parse() then check(): every problem, in file order of discovery. */
export function parseConfig(text: string, file: string, reader: ConfigReader | ((path: string) => string)): ParseResult {
  const parsed = parse(text, file, reader);
  const checked = check(parsed.config);
  return { config: checked.config, diagnostics: [...parsed.diagnostics, ...checked.diagnostics] };
}

/** `file:line: severity: message`, the form `haup-agent check` prints. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.severity}: ${d.message}`;
}
