// Resolves script users (script_user, `user` of a vrrp_script or notify line) to uid/gid from /etc/passwd and /etc/group.
import { readFileSync } from 'node:fs';
import type { ScriptUser } from '../config/schema.js';

export interface Account {
  uid: number;
  gid: number;
}

/** name -> [id, primary gid] from passwd(5) text (group(5) text gives name -> [gid, gid]). */
export function parseIdFile(text: string, kind: 'passwd' | 'group'): Map<string, Account> {
  const out = new Map<string, Account>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const id = Number(f[2]);
    const gid = kind === 'passwd' ? Number(f[3]) : id;
    if (Number.isInteger(id) && Number.isInteger(gid)) out.set(f[0] as string, { uid: id, gid });
  }
  return out;
}

export type ResolvedUser = { ok: true; account: Account | null } | { ok: false; error: string };

/**
 * The uid/gid to run a script as: null means "as this process" (root, or no user configured and
 * keepalived's default user keepalived_script does not exist — keepalived then also runs as root).
 */
export function resolveScriptUser(
  user: ScriptUser | undefined,
  passwd: ReadonlyMap<string, Account>,
  groups: ReadonlyMap<string, Account>,
): ResolvedUser {
  if (user === undefined) {
    const dflt = passwd.get('keepalived_script');
    return { ok: true, account: dflt ?? null };
  }
  const u = /^\d+$/.test(user.user) ? { uid: Number(user.user), gid: Number(user.user) } : passwd.get(user.user);
  if (!u) return { ok: false, error: `user ${user.user} does not exist` };
  let gid = u.gid;
  if (user.group !== undefined) {
    const g = /^\d+$/.test(user.group) ? { uid: Number(user.group), gid: Number(user.group) } : groups.get(user.group);
    if (!g) return { ok: false, error: `group ${user.group} does not exist` };
    gid = g.gid;
  }
  return { ok: true, account: u.uid === 0 && gid === 0 ? null : { uid: u.uid, gid } };
}

/** Reads the account databases (once per config load: they rarely change, and a reload re-reads them). */
export function systemAccounts(): { passwd: Map<string, Account>; groups: Map<string, Account> } {
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  return { passwd: parseIdFile(read('/etc/passwd'), 'passwd'), groups: parseIdFile(read('/etc/group'), 'group') };
}
