// Reads an inventory file: YAML with line numbers (or quickly without them, for a plain inventory with nothing
// to report), secrets from the environment and pass files, then the pure validation. Throws
// HAUP_INVENTORY_INVALID listing every problem as `file:line: path: …`.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { HaupError } from '../errors.js';
import type { Env } from './interpolate.js';
import type { InventoryModel } from './model.js';
import { formatProblem, sortProblems, type LineLocator, type Path } from './problems.js';
import type { SecretReader } from './resolve.js';
import { validateInventory } from './validate.js';
import { fastYaml } from './yaml-fast.js';

export interface LoadOptions {
  env?: Env;
  home?: string;
  /** Name shown in messages (default: the path as given). */
  displayName?: string;
}

export interface LoadedInventory {
  model: InventoryModel;
  /** Formatted `file:line: path: what — what to do` lines; print them, they do not stop anything. */
  warnings: string[];
}

export async function loadInventory(file: string, opts: LoadOptions = {}): Promise<LoadedInventory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new HaupError('HAUP_INVENTORY_INVALID', `cannot read inventory ${file} (${code})`, { hint: 'check the path; examples are in inventories/', cause: err });
  }
  return loadInventoryText(text, file, opts);
}

/** Same as loadInventory, for text already in memory; `file` resolves relative paths and names lines. */
export function loadInventoryText(text: string, file: string, opts: LoadOptions = {}): LoadedInventory {
  const display = opts.displayName ?? file;
  const context = {
    file: display,
    baseDir: dirname(resolve(file)),
    env: opts.env ?? process.env,
    home: opts.home ?? homedir(),
    readSecretFile,
  };
  // A plain inventory that validates without a word to say needs no positions: js-yaml's data will do
  // (yaml-fast.ts). Anything to report is found again from `yaml`'s document, which knows every line.
  const fast = fastYaml(text);
  if (fast !== undefined) {
    const quick = validateInventory(fast, context);
    if (quick.model && quick.warnings.length === 0) return { model: quick.model, warnings: [] };
  }
  const parsed = parseYaml(text);
  if (parsed.syntaxErrors.length > 0) {
    throw new HaupError('HAUP_INVENTORY_INVALID', `${display} is not valid YAML`, {
      details: parsed.syntaxErrors.map((e) => `${display}:${e.line}: ${e.message} — fix the YAML syntax`),
      hint: 'indent with spaces and quote values that contain ": " or start with a special character',
    });
  }
  const result = validateInventory(parsed.data, context);
  const warnings = sortProblems(result.warnings, parsed.locate).map((p) => formatProblem(p, display, parsed.locate));
  if (!result.model) {
    const errors = sortProblems(result.errors, parsed.locate).map((p) => formatProblem(p, display, parsed.locate));
    throw new HaupError('HAUP_INVENTORY_INVALID', `${display} has ${errors.length} problem${errors.length === 1 ? '' : 's'}`, {
      details: [...errors, ...warnings.map((w) => `warning: ${w}`)],
      hint: 'fix every line above, then run the command again (haup render checks without touching any host)',
    });
  }
  return { model: result.model, warnings };
}

const readSecretFile: SecretReader = (path) => {
  try {
    return { ok: true, text: readFileSync(path, 'utf8') };
  } catch (err) {
    return { ok: false, error: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
};

export interface ParsedYaml {
  data: unknown;
  locate: LineLocator;
  syntaxErrors: { line: number; message: string }[];
}

/** Parses YAML keeping positions; `locate` maps a dot-path to the line of its key (or nearest parent). */
export function parseYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, merge: true, prettyErrors: true });
  const syntaxErrors = doc.errors.map((e) => ({
    line: e.linePos?.[0].line ?? 0,
    message: e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? e.message,
  }));
  if (syntaxErrors.length > 0) return { data: null, locate: () => 0, syntaxErrors };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return { data: null, locate: () => 0, syntaxErrors: [{ line: 0, message: (err as Error).message }] };
  }
  const lineOf = (offset: number | undefined): number => (offset === undefined ? 0 : lineCounter.linePos(offset).line);
  const locate: LineLocator = (path: Path) => locateIn(doc, path, lineOf);
  return { data, locate, syntaxErrors };
}

function locateIn(doc: Document, path: Path, lineOf: (offset: number | undefined) => number): number {
  let node: unknown = doc.contents;
  let line = lineOf((doc.contents as YamlNode | null)?.range?.[0]);
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair || !isPair(pair)) return line;
      line = lineOf((pair.key as YamlNode).range?.[0]) || line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!isNode(item)) return line;
      line = lineOf(item.range?.[0]) || line;
      node = item;
    } else return line;
  }
  return line;
}
