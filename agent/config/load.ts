// The file-system edge of the config reader: loadConfig(path) reads keepalived.conf and its includes from disk.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { parseConfig } from './check.js';
import { expandBraces, isWildSegment, segmentRegExp } from './glob.js';
import type { ConfigReader } from './lexer.js';
import type { ParseResult } from './parse.js';

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Expands an absolute pattern against the file system (Node 18 has no fs.glob): sorted, files only. */
export function globFiles(pattern: string): string[] {
  const out = new Set<string>();
  for (const alt of expandBraces(pattern)) {
    let bases = ['/'];
    const segments = alt.split('/').filter((s) => s !== '');
    for (const seg of segments) {
      const next: string[] = [];
      for (const base of bases) {
        if (!isWildSegment(seg)) next.push(posix.join(base, seg));
        else {
          let names: string[] = [];
          try {
            names = readdirSync(base);
          } catch {
            continue;
          }
          const re = segmentRegExp(seg);
          next.push(...names.filter((nm) => re.test(nm)).sort().map((nm) => posix.join(base, nm)));
        }
      }
      bases = next;
    }
    for (const b of bases) if (isFile(b)) out.add(b);
  }
  return [...out].sort();
}

export const fsReader: ConfigReader = { readFile: (p) => readFileSync(p, 'utf8'), glob: globFiles };

/** Reads, parses and checks the config at `path` (relative includes resolve from its directory). */
export function loadConfig(path: string, reader: ConfigReader = fsReader): ParseResult {
  const abs = posix.resolve(path);
  let text: string;
  try {
    text = reader.readFile(abs);
  } catch (e) {
    const message = `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`;
    return { config: { globalDefs: parseConfig('', abs, reader).config.globalDefs, scripts: [], instances: [], syncGroups: [] }, diagnostics: [{ severity: 'error', file: path, line: 0, message }] };
  }
  return parseConfig(text, abs, reader);
}
