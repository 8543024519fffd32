// The vrrp_instance block: keywords -> an instance draft (defaults that depend on global_defs are filled later).
import type { Statement } from './lexer.js';
import { Diagnostics, flag, scriptUser, type Keywords } from './keywords.js';
import type { GarpSettings, NotifyScript, NotifyScripts, VirtualIp, VrrpInstance } from './schema.js';
import { DEFAULTS } from './schema.js';
import { readCidr, readDecimal, readInt, readIp } from './values.js';

/** A parsed instance before global defaults are applied; `trackScripts[].weight` is null until resolved. */
export interface InstanceDraft {
  inst: VrrpInstance;
  explicitVersion?: 2 | 3;
  explicitPriority?: boolean;
  garp: Partial<GarpSettings>;
  /** Per-use weight of each track_script entry, or null to take the script's own weight. */
  trackWeights: (number | null)[];
  seen: Set<string>;
}

export function newInstanceDraft(name: string, st: Statement): InstanceDraft {
  return {
    inst: {
      name, file: st.file, line: st.line, state: 'BACKUP', interface: '', vrid: 0, priority: DEFAULTS.priority,
      advertInt: DEFAULTS.advertInt, version: 2, family: 4, nopreempt: false, preemptDelay: 0, vips: [],
      trackScripts: [], trackInterfaces: [], notify: {}, unicastPeers: [],
      garp: { masterDelay: 0, masterRepeat: 0, masterRefresh: 0, masterRefreshRepeat: 0 },
    },
    garp: {},
    trackWeights: [],
    seen: new Set(),
  };
}

/** `notify_* SCRIPT [user [group]]` (keepalived notify_script_init). */
export function notifyScript(st: Statement): NotifyScript {
  const user = scriptUser(st.words.slice(2));
  return { script: st.words[1] as string, file: st.file, line: st.line, ...(user ? { user } : {}) };
}

export function notifyKeywords<T>(get: (t: T) => NotifyScripts): Keywords<T> {
  const kw = (key: keyof NotifyScripts) => ({
    kind: 'value' as const,
    args: [1, 3] as [number, number],
    run: (st: Statement, t: T, d: Diagnostics) => {
      const n = get(t);
      if (n[key]) d.warn(st, `${st.words[0]} given twice — the first one is used (keepalived ignores the second)`);
      else n[key] = notifyScript(st);
    },
  });
  return { notify_master: kw('master'), notify_backup: kw('backup'), notify_fault: kw('fault'), notify_stop: kw('stop'), notify: kw('any') };
}

/** Weight words of track_script / track_interface: `NAME [weight N [reverse|noreverse]]`. */
function trackWeight(st: Statement, d: Diagnostics): { weight: number | null; reverse: boolean } | undefined {
  const [, kw, value, rev] = st.words;
  if (kw === undefined) return { weight: null, reverse: false };
  if (kw !== 'weight' || st.words.length > 4) {
    d.error(st, `'${st.words.join(' ')}': expected NAME [weight N [reverse]]`);
    return undefined;
  }
  if (rev !== undefined && rev !== 'reverse' && rev !== 'noreverse') {
    d.error(st, `'${rev}' after the weight must be 'reverse' or 'noreverse'`);
    return undefined;
  }
  let w = d.value(st, readInt(value, -254, 254));
  if (w === undefined) return undefined;
  if (Math.abs(w) === 254) {
    // keepalived: "weight for X cannot be +/-254. Setting to +/-253"
    d.warn(st, `weight ${w} for ${st.words[0]} cannot be +/-254 — using ${w > 0 ? 253 : -253} (keepalived does the same)`);
    w = w > 0 ? 253 : -253;
  }
  return { weight: w, reverse: rev === 'reverse' };
}

function vip(st: Statement, d: Diagnostics): VirtualIp | undefined {
  const cidr = d.value(st, readCidr(st.words[0]));
  if (!cidr) return undefined;
  const out: VirtualIp = { ...cidr, file: st.file, line: st.line };
  for (let i = 1; i < st.words.length; i += 2) {
    const opt = st.words[i] as string;
    const val = st.words[i + 1];
    if (opt !== 'dev' && opt !== 'label') {
      d.error(st, `virtual_ipaddress option '${opt}' is not supported — haup takes ADDRESS[/PREFIX] [dev IF] [label LABEL]`);
      return undefined;
    }
    if (val === undefined) {
      d.error(st, `virtual_ipaddress option '${opt}' needs a value`);
      return undefined;
    }
    if (opt === 'dev') out.dev = val;
    else out.label = val;
  }
  return out;
}

const garpKw = (key: keyof GarpSettings, min: number, max: number) => ({
  kind: 'value' as const,
  args: [1, 1] as [number, number],
  run: (st: Statement, dr: InstanceDraft, d: Diagnostics) => {
    const v = d.value(st, readInt(st.words[1], min, max));
    if (v !== undefined) dr.garp[key] = v;
  },
});

export const INSTANCE_KEYWORDS: Keywords<InstanceDraft> = {
  state: {
    kind: 'value', args: [1, 1],
    run: (st, dr, d) => {
      const s = st.words[1];
      if (s === 'MASTER' || s === 'BACKUP') dr.inst.state = s;
      else d.error(st, `state '${s}' is not MASTER or BACKUP (keepalived would fall back to BACKUP)`);
    },
  },
  interface: { kind: 'value', args: [1, 1], run: (st, dr) => void (dr.inst.interface = st.words[1] as string) },
  virtual_router_id: {
    kind: 'value', args: [1, 1],
    run: (st, dr, d) => {
      const v = d.value(st, readInt(st.words[1], 1, 255));
      if (v !== undefined) dr.inst.vrid = v;
    },
  },
  priority: {
    kind: 'value', args: [1, 1],
    run: (st, dr, d) => {
      const v = readInt(st.words[1], 1, 255);
      dr.explicitPriority = true;
      if (v.ok) dr.inst.priority = v.value;
      else d.error(st, `priority: ${v.message} — use 1..254, or 255 only for the address owner`);
    },
  },
  advert_int: {
    kind: 'value', args: [1, 1],
    run: (st, dr, d) => {
      const v = d.value(st, readDecimal(st.words[1], 0.01, 255));
      if (v !== undefined) dr.inst.advertInt = v;
    },
  },
  version: {
    kind: 'value', args: [1, 1],
    run: (st, dr, d) => {
      const v = d.value(st, readInt(st.words[1], 2, 3));
      if (v !== undefined) dr.explicitVersion = v as 2 | 3;
    },
  },
  nopreempt: flag((dr: InstanceDraft) => void (dr.inst.nopreempt = true)),
  preempt: flag((dr: InstanceDraft) => void (dr.inst.nopreempt = false)),
  preempt_delay: {
    kind: 'value', args: [1, 1],
    run: (st, dr, d) => {
      const v = d.value(st, readDecimal(st.words[1], 0, 1000));
      if (v !== undefined) dr.inst.preemptDelay = v;
    },
  },
  authentication: {
    kind: 'block', args: [0, 0],
    run: (st, dr, d) => {
      const auth: { type?: string; pass?: string; at: Statement } = { at: st };
      d.walk(st.block ?? [], 'authentication', AUTH_KEYWORDS, auth);
      if (auth.type === undefined && auth.pass === undefined) return;
      if (auth.type === undefined) d.warn(st, 'auth_pass without auth_type PASS is ignored — add auth_type PASS');
      else if (auth.pass === undefined) d.warn(st, 'auth_type PASS without auth_pass is ignored (keepalived: "no password given") — add auth_pass');
      else dr.inst.authentication = { type: 'PASS', pass: auth.pass };
    },
  },
  virtual_ipaddress: {
    kind: 'block', args: [0, 0],
    run: (st, dr, d) => {
      for (const s of st.block ?? []) {
        if (s.block) d.error(s, 'virtual_ipaddress entries do not take a { ... } block');
        const v = s.block ? undefined : vip(s, d);
        if (v) dr.inst.vips.push(v);
      }
    },
  },
  track_script: {
    kind: 'block', args: [0, 0],
    run: (st, dr, d) => {
      for (const s of st.block ?? []) {
        const w = trackWeight(s, d);
        if (!w) continue;
        dr.inst.trackScripts.push({ script: s.words[0] as string, weight: 0, reverse: w.reverse, file: s.file, line: s.line });
        dr.trackWeights.push(w.weight);
      }
    },
  },
  track_interface: {
    kind: 'block', args: [0, 0],
    run: (st, dr, d) => {
      for (const s of st.block ?? []) {
        const w = trackWeight(s, d);
        if (w) dr.inst.trackInterfaces.push({ interface: s.words[0] as string, weight: w.weight ?? 0, reverse: w.reverse, file: s.file, line: s.line });
      }
    },
  },
  unicast_src_ip: {
    kind: 'value', args: [1, 1],
    run: (st, dr, d) => {
      const ip = d.value(st, readIp(st.words[1]));
      if (ip) dr.inst.unicastSrcIp = ip.address;
    },
  },
  unicast_peer: {
    kind: 'block', args: [0, 0],
    run: (st, dr, d) => {
      for (const s of st.block ?? []) {
        if (s.words.length > 1) d.error(s, `unicast_peer options (${s.words.slice(1).join(' ')}) are not supported — list one address per line`);
        const ip = d.value(s, readIp(s.words[0]));
        if (ip && s.words.length === 1) dr.inst.unicastPeers.push(ip.address);
      }
    },
  },
  garp_master_delay: garpKw('masterDelay', 0, 86400),
  garp_master_repeat: garpKw('masterRepeat', 1, 1000),
  garp_master_refresh: garpKw('masterRefresh', 0, 86400),
  garp_master_refresh_repeat: garpKw('masterRefreshRepeat', 1, 1000),
  ...notifyKeywords((dr: InstanceDraft) => dr.inst.notify),
};
INSTANCE_KEYWORDS.mcast_src_ip = INSTANCE_KEYWORDS.unicast_src_ip as (typeof INSTANCE_KEYWORDS)[string];

const AUTH_KEYWORDS: Keywords<{ type?: string; pass?: string }> = {
  auth_type: {
    kind: 'value', args: [1, 1],
    run: (st, a, d) => {
      const t = st.words[1];
      if (t === 'PASS') a.type = t;
      else if (t === 'AH') d.error(st, 'auth_type AH (IPsec) is not supported — use PASS, or no authentication');
      else d.error(st, `auth_type '${t}' is not PASS`);
    },
  },
  auth_pass: {
    kind: 'value', args: [1, 1],
    run: (st, a, d) => {
      const p = st.words[1] as string;
      if (new TextEncoder().encode(p).length > 8) {
        d.warn(st, `auth_pass is longer than 8 characters — only '${p.slice(0, 8)}' is used (keepalived truncates it too)`);
      }
      a.pass = p.slice(0, 8);
    },
  },
};
