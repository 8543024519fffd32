// Replaces `${VAR}` and `${VAR:-default}` in every string of the inventory with environment values.
import { error, type Path, type Problem } from './problems.js';

const REF = /\$\{([^}]*)\}/g;
const NAME = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

export interface Interpolated {
  value: unknown;
  problems: Problem[];
  /** Dot-joined paths of strings that used at least one reference (so secrets there are not "literal"). */
  referenced: Set<string>;
}

export type Env = Readonly<Record<string, string | undefined>>;

export function interpolate(raw: unknown, env: Env): Interpolated {
  const problems: Problem[] = [];
  const referenced = new Set<string>();
  const walk = (v: unknown, path: Path): unknown => {
    if (typeof v === 'string') return substitute(v, path);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, [...path, k]);
      return out;
    }
    return v;
  };
  const substitute = (s: string, path: Path): string => {
    if (!s.includes('${')) return s;
    referenced.add(path.join('.'));
    const result = s.replace(REF, (_all, inner: string) => {
      const mm = NAME.exec(inner);
      if (!mm) {
        problems.push(error(path, `\${${inner}} is not a valid variable reference`, 'use ${NAME} or ${NAME:-default} with NAME made of letters, digits and _'));
        return '';
      }
      const name = mm[1] as string;
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (mm[2] !== undefined) return mm[2];
      problems.push(error(path, `environment variable ${name} is not set`, `export ${name}=... before running haup, or write \${${name}:-default}`));
      return '';
    });
    if (result.includes('${') && !problems.some((p) => p.path === path)) {
      problems.push(error(path, 'has an unterminated ${ reference', 'close it with }'));
    }
    return result;
  };
  return { value: walk(raw, []), problems, referenced };
}
