// keepalived.conf lexer: lines -> words (quotes, escapes, ! and # comments), braces -> a statement tree, includes expanded.
//
// Pure: files are read through the injected ConfigReader, so tests run on strings.
import { posix } from 'node:path';
import type { Diagnostic } from './schema.js';

/** One statement: its words, where it is, and the statements of its `{ ... }` block if it opens one. */
export interface Statement {
  words: string[];
  file: string;
  line: number;
  block?: Statement[];
}

/** File access for `include`: readFile throws if the file cannot be read; glob lists matching files. */
export interface ConfigReader {
  readFile(path: string): string;
  /** Expands an absolute glob pattern to existing files, sorted. Without it, patterns are read literally. */
  glob?(pattern: string): string[];
}

const MAX_INCLUDE_DEPTH = 16;
const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

type Token = { kind: 'word'; text: string } | { kind: 'open' } | { kind: 'close' };

/** Splits one line into words and braces (man keepalived.conf "Quoted strings"); `braces: false` keeps { } in words. */
export function splitLine(line: string, braces = true): { tokens: Token[]; error?: string } {
  const tokens: Token[] = [];
  let word = '';
  let inWord = false;
  let quote: string | null = null;
  const flush = (): void => {
    if (inWord) tokens.push({ kind: 'word', text: word });
    word = '';
    inWord = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === '\\' && i + 1 < line.length) {
        const n = line[++i] as string;
        if (n in ESCAPES) word += ESCAPES[n];
        else if (n === 'x' && /[0-9a-fA-F]/.test(line[i + 1] ?? '')) {
          const hex = /^[0-9a-fA-F]{1,2}/.exec(line.slice(i + 1))?.[0] ?? '';
          word += String.fromCharCode(parseInt(hex, 16));
          i += hex.length;
        } else if (/[0-7]/.test(n)) {
          const oct = /^[0-7]{1,3}/.exec(line.slice(i))?.[0] ?? n;
          word += String.fromCharCode(parseInt(oct, 8) & 0xff);
          i += oct.length - 1;
        } else word += n;
      } else word += c;
      continue;
    }
    if (c === '#' || c === '!') break;
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\n') flush();
    else if (braces && (c === '{' || c === '}')) {
      flush();
      tokens.push({ kind: c === '{' ? 'open' : 'close' });
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== null) return { tokens, error: `unterminated ${quote} quote` };
  flush();
  return { tokens };
}

const hasGlob = (p: string): boolean => /[*?[{]/.test(p);

/** Tokenizes `text` (the contents of `file`) into a statement tree, expanding includes; problems go to `diags`. */
export function lex(text: string, file: string, reader: ConfigReader, diags: Diagnostic[]): Statement[] {
  const root: Statement[] = [];
  const stack: { children: Statement[]; opener?: Statement }[] = [{ children: root }];
  const err = (f: string, line: number, message: string): void => {
    diags.push({ severity: 'error', file: f, line, message });
  };

  const feed = (content: string, current: string, depth: number, chain: readonly string[]): void => {
    const lines = content.split('\n');
    lines.forEach((raw, idx) => {
      const lineNo = idx + 1;
      const { tokens, error } = splitLine(raw);
      if (error) err(current, lineNo, `${error} — close the quote on the same line`);
      const first = tokens[0];
      if (first?.kind === 'word' && first.text === 'include') {
        // Brace alternatives belong to the pattern here ({a,b}), not to the block structure.
        const rest = splitLine(raw, false).tokens.slice(1);
        const target = rest[0];
        if (rest.length !== 1 || target?.kind !== 'word') {
          err(current, lineNo, 'include needs exactly one file name or pattern');
          return;
        }
        includeFiles(target.text, current, lineNo, depth, chain);
        return;
      }
      let words: string[] = [];
      const top = () => stack[stack.length - 1] as { children: Statement[]; opener?: Statement };
      const flush = (): Statement | undefined => {
        if (words.length === 0) return undefined;
        const st: Statement = { words, file: current, line: lineNo };
        top().children.push(st);
        words = [];
        return st;
      };
      for (const t of tokens) {
        if (t.kind === 'word') words.push(t.text);
        else if (t.kind === 'open') {
          // `name {` on one line, or `{` alone on the line after `name` (keepalived accepts both).
          let opener = flush();
          if (!opener) {
            const prev = top().children[top().children.length - 1];
            if (prev && prev.block === undefined && (prev.file !== current || prev.line < lineNo)) opener = prev;
          }
          if (!opener || opener.block !== undefined) {
            err(current, lineNo, "'{' without a keyword before it");
            stack.push({ children: [] });
            continue;
          }
          opener.block = [];
          stack.push({ children: opener.block, opener });
        } else {
          flush();
          if (stack.length === 1) err(current, lineNo, "extra '}' — remove it or add the block it closes");
          else stack.pop();
        }
      }
      flush();
    });
  };

  const includeFiles = (pattern: string, current: string, lineNo: number, depth: number, chain: readonly string[]): void => {
    // man keepalived.conf: relative include paths are relative to the including file's directory.
    const abs = posix.isAbsolute(pattern) ? pattern : posix.join(posix.dirname(current), pattern);
    if (depth >= MAX_INCLUDE_DEPTH) {
      err(current, lineNo, `include ${pattern}: includes nested more than ${MAX_INCLUDE_DEPTH} deep`);
      return;
    }
    const files = hasGlob(abs) && reader.glob ? reader.glob(abs) : [abs];
    if (files.length === 0) {
      diags.push({ severity: 'warning', file: current, line: lineNo, message: `include ${pattern}: no file matches` });
      return;
    }
    for (const f of files) {
      if (chain.includes(f)) {
        err(current, lineNo, `include ${pattern}: ${f} includes itself (${[...chain, f].join(' -> ')})`);
        continue;
      }
      let content: string;
      try {
        content = reader.readFile(f);
      } catch (e) {
        err(current, lineNo, `include ${pattern}: cannot read ${f} (${e instanceof Error ? e.message : String(e)})`);
        continue;
      }
      feed(content, f, depth + 1, [...chain, f]);
    }
  };

  feed(text, file, 0, [file]);
  for (let i = stack.length - 1; i > 0; i--) {
    const opener = stack[i]?.opener;
    if (opener) err(opener.file, opener.line, `'${opener.words[0]}' block is never closed — add the missing '}'`);
  }
  return root;
}
