// The data of a plain inventory, read with js-yaml: every haup command starts by reading its inventory, and the
// `yaml` package (kept for its positions and messages) needs ~65-90 ms of a cold CLI to parse a 20-pair inventory
// (5 KB), js-yaml ~10 ms. The fast read answers only for texts that it can read as nothing but what `yaml` reads:
// - the text is in a plain subset (simpleText): no tabs, directives, anchors, aliases, tags, explicit keys, `<<`
//   merge keys; every quoted string and flow collection ends on its line;
// - plain scalars resolve with the expressions and conversions of `yaml`'s core schema (below), not js-yaml's own
//   (which also reads `0b1`, `-0x1`, `1_000` and timestamps);
// - one document, a map or a list; anything js-yaml refuses (duplicate keys, syntax) is left to `yaml`.
// load.ts validates the fast data and, on any problem, starts again from `yaml` for the lines of its messages.
// yaml-fast.test.ts checks the promise (generated documents included): whatever this returns, `yaml` returns too.
import { FAILSAFE_SCHEMA, load, Type } from 'js-yaml';

/**
 * One core schema tag of `yaml`: its forms in `yaml`'s order, each a test a plain scalar must pass and its value then.
 * (js-yaml keeps one type per tag, so the forms of a tag go in one type; the forms of different tags never overlap.)
 */
function coreType(tag: string, forms: [RegExp, (s: string) => unknown][]): Type {
  const form = (s: unknown) => (typeof s === 'string' ? forms.find(([test]) => test.test(s)) : undefined);
  return new Type(tag, { kind: 'scalar', resolve: (s: unknown) => form(s) !== undefined, construct: (s: string) => (form(s) as [RegExp, (s: string) => unknown])[1](s) });
}

/** What `yaml` reads as null (the empty scalar included); as a key it becomes "" there and "null" in js-yaml. */
const NULL_FORM = /^(?:~|[Nn]ull|NULL)?$/;

// The expressions and conversions of yaml 2.x src/schema/core (null, bool, intOct, int, intHex, floatNaN, floatExp, float).
const CORE = FAILSAFE_SCHEMA.extend({
  implicit: [
    coreType('tag:yaml.org,2002:null', [[NULL_FORM, () => null]]),
    coreType('tag:yaml.org,2002:bool', [[/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (s) => s[0] === 't' || s[0] === 'T']]),
    coreType('tag:yaml.org,2002:int', [
      [/^0o[0-7]+$/, (s) => parseInt(s.substring(2), 8)],
      [/^[-+]?[0-9]+$/, (s) => parseInt(s, 10)],
      [/^0x[0-9a-fA-F]+$/, (s) => parseInt(s.substring(2), 16)],
    ]),
    coreType('tag:yaml.org,2002:float', [
      [/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/, (s) => (s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY)],
      [/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, (s) => parseFloat(s)],
      [/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/, (s) => parseFloat(s)],
    ]),
  ],
});

/**
 * Whether the text is in the subset both parsers read alike (yaml-fast.test.ts generates documents to find where
 * they part): no tab or carriage return; the first line that is not blank or a comment starts at column 0 (js-yaml
 * reads `  - a\n- b`, yaml refuses it); and on every line, outside quotes and comments: none of `& * ! % ?`, no `<<`,
 * no `#` that does not start a comment (`"x"#c` is an error to yaml), no quote inside a plain scalar, every quote
 * closed and every flow bracket balanced on the line, no collection as a key (js-yaml makes `[a]: 1` "a"), no empty
 * or null key ("" to yaml, "null" to js-yaml), no empty list item, no block scalar indentation indicator or keep
 * chomping. Conservative: `it's` or `a*b` only sends the text the slow way.
 */
export function simpleText(text: string): boolean {
  if (/[\t\r]|<</.test(text)) return false;
  const lines = text.split('\n');
  const first = lines.find((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (first?.startsWith(' ')) return false;
  return lines.every(simpleLine);
}

function simpleLine(line: string): boolean {
  const open: string[] = []; // the flow brackets open at this point
  let keyStart = 0; // where the current key or entry began
  let value = false; // past the `:` of the current flow entry
  let end = line.length;
  for (let i = 0; i < end; i++) {
    const c = line[i] as string;
    if (c === '#') {
      if (i > 0 && line[i - 1] !== ' ') return false;
      end = i;
    } else if (c === '"' || c === "'") {
      if (i > 0 && !' [{,'.includes(line[i - 1] as string)) return false; // inside a plain scalar: not a quote
      i = quoteEnd(line, i);
      if (i < 0) return false;
    } else if (c === ':' && (open.length > 0 || i + 1 === line.length || line[i + 1] === ' ')) {
      if (NULL_FORM.test(line.slice(keyStart, i).replace(/^[\s-]*/, '').trim())) return false;
      keyStart = i + 1;
      value = true;
    } else if (c === '[' || c === '{') {
      // A collection where a flow mapping wants a key (`{[a]}`): js-yaml makes the key "a".
      if (open.at(-1) === '{' && !value && line.slice(keyStart, i).trim() === '') return false;
      open.push(c);
      keyStart = i + 1;
      value = false;
    } else if (c === ',' || c === ']' || c === '}') {
      const entry = line.slice(keyStart, i).trim();
      if (entry !== '' && NULL_FORM.test(entry)) return false; // `{~, a: 1}`: a null key
      keyStart = i + 1;
      value = false;
      if (c === ',') continue;
      if (open.pop() === undefined) return false;
      if (/^\s*:/.test(line.slice(i + 1))) return false; // a collection as a key: js-yaml makes `[a]: 1` "a"
    } else if ('&*!%?'.includes(c)) return false;
  }
  // An empty list item (js-yaml reads `- -\n- a` as [[null, a]]); a block scalar's indentation indicator (`|2`) or
  // keep chomping (`|+`).
  return open.length === 0 && !/(?:^|\s)-\s*$|[|>](?:[-+]?[0-9]|\+)/.test(line.slice(0, end));
}

/** Index of the quote that closes the one at `start` on this line, or -1. */
function quoteEnd(line: string, start: number): number {
  const q = line[start];
  for (let i = start + 1; i < line.length; i++) {
    if (q === '"' && line[i] === '\\') i++;
    else if (line[i] === q) {
      if (q === "'" && line[i + 1] === "'") i++;
      else return i;
    }
  }
  return -1;
}

/** The document's data as `yaml` (core schema, merge keys on) would read it, or undefined: ask `yaml`. */
export function fastYaml(text: string): unknown {
  if (!simpleText(text)) return undefined;
  let data: unknown;
  try {
    data = load(text, { schema: CORE });
  } catch {
    return undefined;
  }
  return data !== null && typeof data === 'object' ? data : undefined;
}
