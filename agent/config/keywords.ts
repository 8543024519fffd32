// Keyword dispatch for keepalived.conf blocks: every statement gets a handler, or an error naming it (never ignored).
import type { Statement } from './lexer.js';
import type { Diagnostic, ScriptUser } from './schema.js';
import { suggest, type Read } from './values.js';

export interface Keyword<T> {
  /** 'block': must open `{ ... }`; 'value': must not. */
  kind: 'block' | 'value';
  /** Allowed number of words after the keyword (inclusive). */
  args: [number, number];
  run(st: Statement, target: T, d: Diagnostics): void;
}

export type Keywords<T> = Record<string, Keyword<T>>;

/** keepalived keywords haup knows but does not implement: a clearer error than "unknown". */
const UNSUPPORTED = new Set([
  'virtual_server', 'virtual_server_group', 'static_ipaddress', 'static_routes', 'static_rules', 'bfd_instance',
  'vrrp_track_process', 'vrrp_track_file', 'track_file', 'track_process', 'track_bfd', 'use_vmac', 'vmac_xmit_base',
  'virtual_ipaddress_excluded', 'virtual_routes', 'virtual_rules', 'mcast_dst_ip', 'track_src_ip', 'strict_mode',
  'vrrp_strict', 'accept', 'no_accept', 'smtp_alert', 'notification_email', 'notification_email_from', 'smtp_server',
  'smtp_connect_timeout', 'lvs_id', 'vrrp_skip_check_adv_addr', 'skip_check_adv_addr', 'dont_track_primary',
  'garp_lower_prio_delay', 'garp_lower_prio_repeat', 'lower_prio_no_advert', 'higher_prio_send_advert',
  'down_timer_adverts', 'notify_master_rx_lower_pri', 'notify_deleted', 'native_ipv6', 'check_unicast_src',
  'unicast_ttl', 'old_unicast_checksum', 'debug', 'linkbeat_use_polling', 'promote_secondaries', 'max_auto_priority',
  'vrrp_mcast_group4', 'vrrp_mcast_group6', 'script_security', 'global_tracking', 'sync_group_tracking_weight',
]);

export class Diagnostics {
  readonly list: Diagnostic[] = [];

  error(at: { file: string; line: number }, message: string): void {
    this.list.push({ severity: 'error', file: at.file, line: at.line, message });
  }

  warn(at: { file: string; line: number }, message: string): void {
    this.list.push({ severity: 'warning', file: at.file, line: at.line, message });
  }

  /** Unwraps a Read, reporting `<keyword>: <message>` on failure. */
  value<V>(st: Statement, r: Read<V>): V | undefined {
    if (r.ok) return r.value;
    this.error(st, `${st.words[0]}: ${r.message}`);
    return undefined;
  }

  /** Runs every statement of a block through its keyword table. `where` names the block in messages. */
  walk<T>(statements: readonly Statement[], where: string, table: Keywords<T>, target: T): void {
    for (const st of statements) {
      const kw = st.words[0] as string;
      const spec = Object.prototype.hasOwnProperty.call(table, kw) ? table[kw] : undefined;
      if (!spec) {
        this.error(st, unknownKeyword(kw, where, Object.keys(table)));
        continue;
      }
      const n = st.words.length - 1;
      if (spec.kind === 'block' && st.block === undefined) {
        this.error(st, `${kw} needs a { ... } block`);
        continue;
      }
      if (spec.kind === 'value' && st.block !== undefined) {
        this.error(st, `${kw} does not take a { ... } block`);
        continue;
      }
      const [min, max] = spec.args;
      if (n < min || n > max) {
        const want = min === max ? `${min}` : `${min} to ${max}`;
        this.error(st, `${kw} takes ${want} value${max === 1 ? '' : 's'}, got ${n}: '${st.words.join(' ')}'`);
        continue;
      }
      spec.run(st, target, this);
    }
  }
}

function unknownKeyword(kw: string, where: string, known: string[]): string {
  if (kw.startsWith('@') || kw.startsWith('$') || kw.startsWith('~')) {
    return `'${kw}': keepalived conditional configuration and parameter substitution are not supported — write the plain configuration`;
  }
  if (UNSUPPORTED.has(kw)) return `'${kw}' in ${where} is a keepalived keyword haup does not support — remove it`;
  const hint = suggest(kw, known);
  return `unknown keyword '${kw}' in ${where}${hint ? ` — did you mean '${hint}'?` : ` — supported here: ${known.join(', ')}`}`;
}

/** `user USERNAME [GROUPNAME]` words as a ScriptUser. */
export function scriptUser(words: readonly string[]): ScriptUser | undefined {
  const [user, group] = words;
  if (user === undefined) return undefined;
  return group === undefined ? { user } : { user, group };
}

/** A handler for a keyword without a value (`nopreempt`, `init_fail`, ...). */
export function flag<T>(set: (t: T) => void): Keyword<T> {
  return { kind: 'value', args: [0, 0], run: (_st, t) => set(t) };
}
