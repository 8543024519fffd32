// Splits a keepalived script line into argv the way keepalived does: no shell, quotes group words.

export type SplitResult = { ok: true; argv: string[] } | { ok: false; error: string };

/**
 * keepalived execs scripts directly (no /bin/sh): `script "/bin/check arg"` runs /bin/check with one
 * argument. Double and single quotes group, backslash escapes the next character outside single quotes.
 */
export function splitCommandLine(line: string): SplitResult {
  const argv: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) argv.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) return { ok: false, error: `unterminated ${quote} quote` };
  if (inWord) argv.push(cur);
  if (argv.length === 0) return { ok: false, error: 'empty command' };
  return { ok: true, argv };
}
