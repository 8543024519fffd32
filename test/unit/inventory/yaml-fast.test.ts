// Input: YAML texts (every inventory in the repository, hand-picked edge cases, generated documents). Output of
// fastYaml: undefined, or exactly the data `yaml` reads with load.ts's options, and never data where `yaml` finds
// an error. And the repository's plain inventories do take the fast path.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { fastYaml } from '../../../cli/inventory/yaml-fast.js';
import { loadInventoryText, parseYaml } from '../../../cli/inventory/load.js';

/** What load.ts's own `yaml` reading makes of a text: its data, or 'error'. */
function reference(text: string): { data: unknown } | 'error' {
  const parsed = parseYaml(text);
  return parsed.syntaxErrors.length > 0 ? 'error' : { data: parsed.data };
}

/** The promise fastYaml makes; returns whether it answered. */
function agrees(text: string): boolean {
  const fast = fastYaml(text);
  if (fast === undefined) return false;
  const ref = reference(text);
  assert.notEqual(ref, 'error', `fastYaml read ${JSON.stringify(text)} as ${JSON.stringify(fast)}, yaml finds an error`);
  assert.deepEqual(fast, (ref as { data: unknown }).data, `fastYaml and yaml differ on ${JSON.stringify(text)}`);
  return true;
}

const ymlFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();

/**
 * Documents shaped like inventories, in every style the fast path accepts (nested block maps and lists, compact
 * `- k: v` items, one-line flow collections, plain / quoted / multi-line / block scalars, comments, blank lines),
 * with scalars made of the characters where YAML's rules differ.
 */
const word = fc.string({ unit: fc.constantFrom(...'0123456789.+-_eExXoOabnNuUlLtTrRfFsSiI:/@=,~ '), minLength: 0, maxLength: 7 });
const scalarText = (ind: string) =>
  fc.oneof(
    { weight: 5, arbitrary: word },
    fc.string({ unit: fc.constantFrom(...'ab1 #:\'\\"{}[],&*!%?-'), maxLength: 6 }).map((w) => `"${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`),
    fc.string({ unit: fc.constantFrom(...'ab1 #:"\'{}[],&*!%?-'), maxLength: 6 }).map((w) => `'${w.replace(/'/g, "''")}'`),
    fc.tuple(word, word).map(([a, b]) => `${a}\n${ind}   ${b}`),
    fc.tuple(fc.constantFrom('|', '>', '|-', '>-', '|+', '>+'), fc.array(word, { maxLength: 3 })).map(([h, ls]) => `${h}\n${ls.map((l) => `${ind}  ${l}`).join('\n')}`),
  );
const comment = fc.constantFrom('', '', '', ' # note', ' #: x', ' # "q');
const keyText = fc.oneof(fc.constantFrom('name', 'vrid', 'a b', '1', 'true', '0x1F', '"quoted"', "'single'", 'x-y', 'k.l'), word.filter((w) => w.trim() !== ''));
type Tree = { k: 'map'; items: [string, Tree][] } | { k: 'seq'; items: Tree[] } | { k: 'flow'; text: string } | { k: 'scalar' };
const flowText: fc.Arbitrary<string> = fc.letrec((tie) => ({
  f: fc.oneof({ depthSize: 'small' }, word.map((w) => w.replace(/[,:[\]{}]/g, '')), tie('seq'), tie('map')),
  seq: fc.array(tie('f'), { maxLength: 3 }).map((xs) => `[${xs.join(', ')}]`),
  map: fc.array(fc.tuple(keyText, tie('f')), { maxLength: 3 }).map((kv) => `{${kv.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
})).f as fc.Arbitrary<string>;
const tree: fc.Arbitrary<Tree> = fc.letrec((tie) => ({
  t: fc.oneof({ depthSize: 'small', maxDepth: 3 }, fc.constant({ k: 'scalar' } as Tree), flowText.map((text) => ({ k: 'flow', text }) as Tree), tie('map'), tie('seq')),
  map: fc.array(fc.tuple(keyText, tie('t')), { minLength: 1, maxLength: 4 }).map((items) => ({ k: 'map', items }) as Tree),
  seq: fc.array(tie('t'), { minLength: 1, maxLength: 3 }).map((items) => ({ k: 'seq', items }) as Tree),
})).t as fc.Arbitrary<Tree>;
const inventoryLike = fc
  .tuple(tree.filter((t) => t.k === 'map' || t.k === 'seq'), fc.infiniteStream(fc.tuple(scalarText(''), comment, fc.boolean(), fc.constantFrom(2, 4))))
  .map(([t, choices]) => {
    const it = choices[Symbol.iterator]();
    const next = () => it.next().value as [string, string, boolean, number];
    const val = (v: Tree, ind: string): string => {
      const [sc, c, blank, step] = next();
      const inner = ind + ' '.repeat(step);
      if (v.k === 'scalar') return ` ${sc.replace(/\n/g, `\n${ind}`)}${sc.includes('\n') ? '' : c}`;
      if (v.k === 'flow') return ` ${v.text}${c}`;
      return `${c}\n${blank ? '\n' : ''}${render(v, inner)}`;
    };
    const render = (v: Tree, ind: string): string => {
      if (v.k === 'map') return v.items.map(([k, x]) => `${ind}${k}:${val(x, ind)}`).join('\n');
      if (v.k === 'seq') {
        return v.items
          .map((x) => (x.k === 'map' ? `${ind}- ${render(x, `${ind}  `).slice(ind.length + 2)}` : x.k === 'seq' ? `${ind}-\n${render(x, `${ind}  `)}` : `${ind}-${val(x, ind)}`))
          .join('\n');
      }
      return '';
    };
    return `# generated\n${render(t, '')}\n`;
  });

describe('fastYaml', () => {
  test('reads every plain inventory of the repository as yaml does (and the broken ones, where it answers)', () => {
    const files = [...ymlFiles('inventories'), ...ymlFiles('test')];
    assert.ok(files.length > 40, `only ${files.length} YAML files found`);
    let answered = 0;
    for (const f of files) if (agrees(readFileSync(f, 'utf8'))) answered++;
    for (const f of readdirSync('inventories').filter((n) => n.endsWith('.yml'))) {
      assert.notEqual(fastYaml(readFileSync(join('inventories', f), 'utf8')), undefined, `inventories/${f} does not take the fast path`);
    }
    assert.ok(answered >= files.length / 2, `answered only ${answered} of ${files.length}`);
  });

  test('resolves plain scalars with yaml core schema rules, not js-yaml defaults', () => {
    const scalars = [
      '1', '-1', '+1', '0', '-0', '007', '0o17', '0o8', '-0o17', '0x1F', '0X1F', '-0x1F', '0b101', '1_000', '1e3', '1E-3', '-.5e+2',
      '.5', '5.', '1.2.3', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', 'nan', 'inf', 'true', 'True', 'TRUE', 'tRue', 'yes', 'no', 'on',
      'off', 'y', 'n', 'false', 'False', 'null', 'Null', 'NULL', 'nUll', '~', '', '2001-12-14', '2001-12-14t21:59:43.10-05:00',
      '12:30:00', '1:20', '0.', '+', '-', '.', 'e3', '1e', '0x', '0o', '9007199254740993', '1e400', "'1'", '"true"', '"0x1F"',
    ];
    for (const s of scalars) {
      for (const text of [`k: ${s}`, `- ${s}`, `[${s}]`, `{k: ${s}}`]) agrees(text);
    }
    assert.deepEqual(fastYaml('a: 0b101\nb: 1_000\nc: -0x1F\nd: 2001-12-14\ne: yes\nf: 007'), { a: '0b101', b: '1_000', c: '-0x1F', d: '2001-12-14', e: 'yes', f: 7 });
    assert.deepEqual(fastYaml('a: 1\nb: 1.5\nc: 1e3\nd: .inf\ne: ~\nf: true\ng: 0o17\nh: 0x1F'), { a: 1, b: 1.5, c: 1000, d: Infinity, e: null, f: true, g: 15, h: 31 });
  });

  test('leaves to yaml what it cannot promise to read the same', () => {
    const refused = {
      anchor: 'a: &x 1',
      'alias of a map': 'a: &x {b: 1}\nc: *x',
      'anchor in a list': '- &x\n  - 1\n- *x',
      'anchored document': '--- &top\na: 1',
      'merge key': 'a: {b: 1, <<: {c: 2}}',
      'merge key with an alias': 'base: &b {x: 1}\nitem:\n  <<: *b\n  y: 2',
      'YAML 1.1 directive': '%YAML 1.1\n---\na: yes',
      'two documents': 'a: 1\n---\nb: 2',
      'duplicate key': 'a: 1\na: 2',
      'unknown tag': 'a: !vault abc',
      'timestamp tag': 'a: !!timestamp 2001-12-14',
      'syntax error': 'a: [1, 2',
      'bad indentation': 'a:\n  b: 1\n c: 2',
      'empty document': '# nothing\n',
      'a scalar document': '12',
      'explicit key': '? a\n: 1',
      'a list as a key': '[a]: 1',
      'a map as a key': '{a: 1}: 2',
    };
    for (const [what, text] of Object.entries(refused)) assert.equal(fastYaml(text), undefined, what);
  });

  test('reads quoting, escapes, block scalars, flow collections and comments as yaml does', () => {
    const texts = [
      'a: "tab\\tnew\\nline \\u00e9 \\x41 \\\\ \\" \\/ \\_ \\N \\L \\P"',
      "a: 'it''s'",
      'a: |\n  one\n  two\n',
      'a: |-\n  one\n  two\n\n',
      'a: |+\n  one\n\n\nb: 1',
      'a: >\n  folded\n  text\n\n  para\n',
      'a: >2-\n   indented\n  text\n',
      'a: plain\n  continued\n  lines',
      'a: "double\n  folded\n\n  quoted"',
      "a: 'single\n  folded'",
      'a: [1, "two", {three: 3}, [4]]',
      'a: {b: [c, d], e: {f: g}}',
      '- a\n- - b\n  - c\n- d: e\n  f: g',
      'a: 1 # comment\n# full line\nb: "#not"\nc: x#y',
      'a:\n- 1\n- 2',
      '"quoted key": 1\n\'single key\': 2\n? explicit\n: 3',
      'a: b: c',
      'a: "unterminated',
      'a:\tb',
      'a: x\n\tb: y',
      '\ufeffa: 1',
      'a: 1\r\nb: 2\r\n',
      '---\na: 1\n...\n',
      'a: [1, 2,]',
      'a: {b}',
      'a: -',
      'a: - b',
      'a: @x',
      'a: `x`',
      'a: %x',
      'a: !!str 1',
      'a: !!int "12"',
      'a: !!float 1',
      'a: !!null ""',
      'a: !!bool yes',
      'a: ! 12',
      '1: a\n"1": b',
      'null: a\n~: b',
      'true: 1',
      '1.5: x',
      '[a]: 1',
      '{a: 1}: 2',
      'a: &\n',
      'a: *\n',
    ];
    let answered = 0;
    for (const t of texts) if (agrees(t)) answered++;
    assert.ok(answered >= 15, `answered only ${answered} of ${texts.length}`);
  });

  test('agrees with yaml on generated documents', () => {
    const scalarChars = fc.constantFrom(...'019.+-_eExXoObB:#&*!|>%@`\'" \t\\{}[],?~nNuUlLtTrRfFaAsSiI');
    const scalar = fc.string({ unit: scalarChars, maxLength: 8 });
    const key = fc.oneof(fc.constantFrom('a', 'b', 'c', 'vrid', 'priority', '"q"', "'s'", '1', 'true', '<<'), scalar);
    const value: fc.Arbitrary<string> = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('flowSeq'), tie('flowMap')),
      flowSeq: fc.array(tie('node'), { maxLength: 3 }).map((xs) => `[${xs.join(', ')}]`),
      flowMap: fc.array(fc.tuple(key, tie('node')), { maxLength: 3 }).map((kv) => `{${kv.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
    })).node as fc.Arbitrary<string>;
    // Lines of a block document: indentation, a key or a list dash, a value or nothing, a comment or not; and lines
    // that continue a scalar or a flow collection, or start a block scalar.
    const indent = fc.constantFrom('', ' ', '  ', '   ', '    ', '- ', '  - ', '- - ', '\t');
    const line = fc.oneof(
      fc.tuple(indent, key, fc.oneof(value, fc.constant('')), fc.constantFrom('', ' # c', '#c', ' #')).map(([i, k, v, c]) => `${i}${k}:${v === '' ? '' : ` ${v}`}${c}`),
      fc.tuple(indent, value).map(([i, v]) => `${i}${v}`),
      fc.tuple(indent, fc.constantFrom('|', '>', '|-', '>+', '|2', '"', "'", '[', '{', ']', '}', '---', '...')).map(([i, v]) => `${i}${v}`),
    );
    const block = fc.array(line, { minLength: 1, maxLength: 6 }).map((lines) => lines.join('\n'));
    // HAUP_FUZZ_RUNS=100000 for a longer search.
    const runs = Number(process.env.HAUP_FUZZ_RUNS ?? 3000);
    let answered = 0;
    const count = (text: string) => void (agrees(text) && answered++);
    fc.assert(fc.property(block, count), { numRuns: runs });
    fc.assert(fc.property(scalar, (s) => [`k: ${s}`, `- ${s}`, `[${s}]`].forEach(count)), { numRuns: runs });
    fc.assert(fc.property(inventoryLike, count), { numRuns: runs });
    // The search is worth something only if the fast path answers for a good part of what it generates.
    assert.ok(answered > runs, `the fast path answered only ${answered} of ${5 * runs} generated texts`);
  });
});

describe('loadInventoryText with the fast path', () => {
  const base = readFileSync('inventories/example.yml', 'utf8');

  test('builds the same model as from yaml alone', () => {
    for (const f of readdirSync('inventories').filter((n) => n.endsWith('.yml'))) {
      const text = readFileSync(join('inventories', f), 'utf8');
      const env = { HAUP_WEB_PASS: 'pw1', HAUP_LAB_PASS: 'pw2', HAUP_DB_PASS: 'pw3', HAUP_API_PASS: 'pw4' };
      let viaFast;
      try {
        viaFast = loadInventoryText(text, join('inventories', f), { env, home: '/home/haup' });
      } catch {
        continue; // needs something this test does not give it (a pass file); broken.test.ts and the golden tests cover it
      }
      const parsed = parseYaml(text);
      assert.deepEqual(parsed.syntaxErrors, []);
      assert.deepEqual(fastYaml(text), parsed.data, f);
      assert.ok(viaFast.model.pairs.length > 0, f);
    }
  });

  test('a problem found on the fast data is reported with the line yaml gives it', () => {
    const text = base.replace(/virtual_router_id: 254|vrid: 254/, 'vrid: 999');
    assert.notEqual(text, base, 'example.yml has no vrid: 254 to break');
    assert.notEqual(fastYaml(text), undefined);
    const line = text.split('\n').findIndex((l) => l.includes('vrid: 999')) + 1;
    assert.throws(
      () => loadInventoryText(text, 'inv.yml', { env: { HAUP_WEB_PASS: 'pw' }, home: '/home/haup' }),
      (e: Error & { details?: string[] }) => {
        assert.ok(e.details?.some((d) => d.startsWith(`inv.yml:${line}: `) && d.includes('vrid')), JSON.stringify(e.details));
        return true;
      },
    );
  });
});
