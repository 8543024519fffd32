// keepalived.conf text -> HaupConfig with file:line diagnostics; pure (includes are read through the injected reader).
import { lex, type ConfigReader, type Statement } from './lexer.js';
import { Diagnostics, flag, scriptUser, type Keywords } from './keywords.js';
import { INSTANCE_KEYWORDS, newInstanceDraft, notifyKeywords, type InstanceDraft } from './parse-instance.js';
import { DEFAULTS, defaultGlobalDefs, type Diagnostic, type GlobalDefs, type HaupConfig, type SyncGroupConfig, type VrrpScript } from './schema.js';
import { readDecimal, readInt } from './values.js';

export type { ConfigReader } from './lexer.js';

export interface ParseResult {
  config: HaupConfig;
  diagnostics: Diagnostic[];
}

interface Drafts {
  globalDefs: GlobalDefs;
  scripts: VrrpScript[];
  instances: InstanceDraft[];
  syncGroups: SyncGroupConfig[];
}

const globalInt = (key: 'garpMasterDelay' | 'garpMasterRepeat' | 'garpMasterRefresh' | 'garpMasterRefreshRepeat', min: number, max: number) => ({
  kind: 'value' as const,
  args: [1, 1] as [number, number],
  run: (st: Statement, g: GlobalDefs, d: Diagnostics) => {
    const v = d.value(st, readInt(st.words[1], min, max));
    if (v !== undefined) g[key] = v;
  },
});

const GLOBAL_KEYWORDS: Keywords<GlobalDefs> = {
  router_id: { kind: 'value', args: [1, 1], run: (st, g) => void (g.routerId = st.words[1]) },
  enable_script_security: flag((g: GlobalDefs) => void (g.enableScriptSecurity = true)),
  script_user: { kind: 'value', args: [1, 2], run: (st, g) => void (g.scriptUser = scriptUser(st.words.slice(1))) },
  vrrp_version: {
    kind: 'value', args: [1, 1],
    run: (st, g, d) => {
      const v = d.value(st, readInt(st.words[1], 2, 3));
      if (v !== undefined) g.vrrpVersion = v as 2 | 3;
    },
  },
  vrrp_garp_master_delay: globalInt('garpMasterDelay', 0, 86400),
  vrrp_garp_master_repeat: globalInt('garpMasterRepeat', 1, 1000),
  vrrp_garp_master_refresh: globalInt('garpMasterRefresh', 0, 86400),
  vrrp_garp_master_refresh_repeat: globalInt('garpMasterRefreshRepeat', 1, 1000),
  vrrp_startup_delay: {
    kind: 'value', args: [1, 1],
    run: (st, g, d) => {
      const v = d.value(st, readDecimal(st.words[1], 0, 3600));
      if (v !== undefined) g.startupDelay = v;
    },
  },
};

const scriptInt = (key: 'interval' | 'timeout' | 'rise' | 'fall', min: number, max: number) => ({
  kind: 'value' as const,
  args: [1, 1] as [number, number],
  run: (st: Statement, s: VrrpScript, d: Diagnostics) => {
    const v = d.value(st, readInt(st.words[1], min, max));
    if (v !== undefined) s[key] = v;
  },
});

const SCRIPT_KEYWORDS: Keywords<VrrpScript> = {
  script: {
    kind: 'value', args: [1, 8],
    run: (st, s, d) => {
      s.script = st.words[1] as string;
      if (st.words.length > 2) {
        d.warn(st, `words after '${s.script}' are ignored (keepalived does the same) — quote the whole command: script "${st.words.slice(1).join(' ')}"`);
      }
    },
  },
  interval: scriptInt('interval', 1, 4294),
  timeout: scriptInt('timeout', 1, 4294),
  rise: scriptInt('rise', 1, 2147483647),
  fall: scriptInt('fall', 1, 2147483647),
  weight: {
    kind: 'value', args: [1, 2],
    run: (st, s, d) => {
      const v = d.value(st, readInt(st.words[1], -253, 253));
      const rev = st.words[2];
      if (rev !== undefined && rev !== 'reverse') d.error(st, `'${rev}' after the weight must be 'reverse'`);
      else if (v !== undefined) {
        s.weight = v;
        s.weightReverse = rev === 'reverse';
      }
    },
  },
  user: { kind: 'value', args: [1, 2], run: (st, s) => void (s.user = scriptUser(st.words.slice(1))) },
  init_fail: flag((s: VrrpScript) => void (s.initFail = true)),
};

const SYNC_KEYWORDS: Keywords<SyncGroupConfig> = {
  group: {
    kind: 'block', args: [0, 0],
    run: (st, g, d) => {
      for (const s of st.block ?? []) {
        // keepalived reads the group block as a list of names, several per line allowed.
        if (s.block) d.error(s, 'group members do not take a { ... } block');
        else g.members.push(...s.words);
      }
    },
  },
  ...notifyKeywords((g: SyncGroupConfig) => g.notify),
};

const named = (what: string, st: Statement, d: Diagnostics): string | undefined => {
  if (st.words.length === 2) return st.words[1];
  d.error(st, `${what} needs exactly one name: '${what} NAME {'`);
  return undefined;
};

const TOP_KEYWORDS: Keywords<Drafts> = {
  global_defs: { kind: 'block', args: [0, 0], run: (st, dr, d) => d.walk(st.block ?? [], 'global_defs', GLOBAL_KEYWORDS, dr.globalDefs) },
  vrrp_script: {
    kind: 'block', args: [0, 1],
    run: (st, dr, d) => {
      const name = named('vrrp_script', st, d);
      if (name === undefined) return;
      if (dr.scripts.some((s) => s.name === name)) d.error(st, `vrrp_script ${name} is already defined — rename one of them`);
      const s: VrrpScript = {
        name, file: st.file, line: st.line, script: '', interval: DEFAULTS.scriptInterval, timeout: 0,
        weight: DEFAULTS.scriptWeight, weightReverse: false, rise: DEFAULTS.scriptRise, fall: DEFAULTS.scriptFall, initFail: false,
      };
      d.walk(st.block ?? [], `vrrp_script ${name}`, SCRIPT_KEYWORDS, s);
      // keepalived: "No script set for vrrp_script X - removing"
      if (s.script === '') d.error(st, `vrrp_script ${name} has no 'script' line — add script "/path/to/check"`);
      // keepalived runs the script with a timeout of `interval` when none is given.
      if (s.timeout === 0) s.timeout = s.interval;
      if (!dr.scripts.some((x) => x.name === name) && s.script !== '') dr.scripts.push(s);
    },
  },
  vrrp_instance: {
    kind: 'block', args: [0, 1],
    run: (st, dr, d) => {
      const name = named('vrrp_instance', st, d);
      if (name === undefined) return;
      const draft = newInstanceDraft(name, st);
      d.walk(st.block ?? [], `vrrp_instance ${name}`, INSTANCE_KEYWORDS, draft);
      if (dr.instances.some((i) => i.inst.name === name)) d.error(st, `vrrp_instance ${name} is already defined — instance names must be unique`);
      else dr.instances.push(draft);
    },
  },
  vrrp_sync_group: {
    kind: 'block', args: [0, 1],
    run: (st, dr, d) => {
      const name = named('vrrp_sync_group', st, d);
      if (name === undefined) return;
      const g: SyncGroupConfig = { name, file: st.file, line: st.line, members: [], notify: {} };
      d.walk(st.block ?? [], `vrrp_sync_group ${name}`, SYNC_KEYWORDS, g);
      if (dr.syncGroups.some((x) => x.name === name)) d.error(st, `vrrp_sync_group ${name} is already defined`);
      else dr.syncGroups.push(g);
    },
  },
};

/** Applies global defaults and resolves what needs the whole file (version, family, garp, track weights). */
function finish(dr: Drafts, d: Diagnostics): HaupConfig {
  const g = dr.globalDefs;
  const instances = dr.instances.map((draft) => {
    const inst = draft.inst;
    if (!draft.explicitPriority && inst.state === 'MASTER') {
      // keepalived 2.2.7: an instance with state MASTER and no priority gets 255 (address owner).
      inst.priority = 255;
      d.warn(inst, `${inst.name}: state MASTER without a priority means priority 255 (address owner) in keepalived — write the priority you mean`);
    }
    const family = inst.vips[0]?.family ?? (inst.unicastSrcIp?.includes(':') || inst.unicastPeers[0]?.includes(':') ? 6 : 4);
    for (const v of inst.vips) {
      if (v.family !== family) d.error(v, `${v.address}: all virtual_ipaddress entries of ${inst.name} must be IPv${family} — move it to its own instance`);
    }
    inst.vips = inst.vips.filter((v) => v.family === family);
    inst.family = family;
    inst.version = draft.explicitVersion ?? g.vrrpVersion;
    if (family === 6 && inst.version === 2) {
      // keepalived silently runs IPv6 instances as VRRPv3 (RFC 3768 is IPv4 only).
      if (draft.explicitVersion === 2) d.warn(inst, `${inst.name} has IPv6 addresses: VRRPv2 is IPv4 only, using version 3 — write 'version 3'`);
      inst.version = 3;
    }
    inst.garp = {
      masterDelay: draft.garp.masterDelay ?? g.garpMasterDelay,
      masterRepeat: draft.garp.masterRepeat ?? g.garpMasterRepeat,
      masterRefresh: draft.garp.masterRefresh ?? g.garpMasterRefresh,
      masterRefreshRepeat: draft.garp.masterRefreshRepeat ?? g.garpMasterRefreshRepeat,
    };
    inst.trackScripts = inst.trackScripts.map((t, i) => {
      const w = draft.trackWeights[i] ?? null;
      const script = dr.scripts.find((s) => s.name === t.script);
      return { ...t, weight: w ?? script?.weight ?? 0, reverse: w === null ? (script?.weightReverse ?? false) : t.reverse };
    });
    return inst;
  });
  return { globalDefs: g, scripts: dr.scripts, instances, syncGroups: dr.syncGroups };
}

/** Parses keepalived.conf `text` (the file `file`). `reader` serves includes (a function = readFile only). */
export function parse(text: string, file: string, reader: ConfigReader | ((path: string) => string)): ParseResult {
  const d = new Diagnostics();
  const r: ConfigReader = typeof reader === 'function' ? { readFile: reader } : reader;
  const tree = lex(text, file, r, d.list);
  const drafts: Drafts = { globalDefs: defaultGlobalDefs(), scripts: [], instances: [], syncGroups: [] };
  d.walk(tree, 'the top level', TOP_KEYWORDS, drafts);
  return { config: finish(drafts, d), diagnostics: d.list };
}
