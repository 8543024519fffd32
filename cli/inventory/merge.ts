// Layers defaults -> pair -> node into one set of settings per node, remembering where each value came
// from so a problem points at the line the user must change.
import type { Path } from './problems.js';
import type { RawAuth, RawCheck, RawPair, RawSettings, RawSsh } from './schema.js';

export interface Field<T> {
  value: T;
  /** Where the value was written; for built-in defaults, the node's path. */
  origin: Path;
}

type Fields<T> = { [K in keyof T]-?: Field<NonNullable<T[K]>> | undefined };

export interface MergedSettings {
  engine: Field<'haup' | 'keepalived'> | undefined;
  interface: Field<string> | undefined;
  advert_int: Field<number> | undefined;
  vrrp_version: Field<2 | 3> | undefined;
  preempt: Field<boolean> | undefined;
  preempt_delay: Field<number> | undefined;
  unicast: Field<boolean> | undefined;
  /** null: auth switched off (`auth: none`); undefined: never set. */
  auth: Field<RawAuth | null> | undefined;
  /** The layer that last set `check`; null value: checks switched off. */
  check: Field<Fields<RawCheck> | null> | undefined;
  ssh: Fields<RawSsh>;
}

export interface Layer {
  path: Path;
  settings: RawSettings | undefined;
}

const SCALARS = ['engine', 'interface', 'advert_int', 'vrrp_version', 'preempt', 'preempt_delay', 'unicast'] as const;

export function mergeSettings(layers: readonly Layer[]): MergedSettings {
  const out: MergedSettings = {
    engine: undefined, interface: undefined, advert_int: undefined, vrrp_version: undefined, preempt: undefined,
    preempt_delay: undefined, unicast: undefined, auth: undefined, check: undefined, ssh: {} as Fields<RawSsh>,
  };
  const set = out as unknown as Record<string, Field<unknown> | undefined>;
  for (const { path, settings } of layers) {
    if (!settings) continue;
    for (const key of SCALARS) {
      const v = settings[key];
      if (v !== undefined) set[key] = { value: v, origin: [...path, key] };
    }
    if (settings.auth !== undefined) out.auth = { value: settings.auth, origin: [...path, 'auth'] };
    if (settings.check === null) out.check = { value: null, origin: [...path, 'check'] };
    else if (settings.check !== undefined) {
      const base = out.check?.value ?? ({} as Fields<RawCheck>);
      const merged = { ...base } as Record<string, Field<unknown> | undefined>;
      for (const [k, v] of Object.entries(settings.check)) {
        if (v !== undefined) merged[k] = { value: v, origin: [...path, 'check', k] };
      }
      out.check = { value: merged as Fields<RawCheck>, origin: [...path, 'check'] };
    }
    if (settings.ssh) {
      const ssh = out.ssh as Record<string, Field<unknown> | undefined>;
      for (const [k, v] of Object.entries(settings.ssh)) {
        if (v !== undefined) ssh[k] = { value: v, origin: [...path, 'ssh', k] };
      }
    }
  }
  return out;
}

/** The settings-only part of a pair (drops name, vrid, vips, nodes). */
export function pairSettings(pair: RawPair): RawSettings {
  const { engine, interface: iface, advert_int, vrrp_version, preempt, preempt_delay, auth, check, ssh, unicast } = pair;
  return { engine, interface: iface, advert_int, vrrp_version, preempt, preempt_delay, auth, check, ssh, unicast };
}
