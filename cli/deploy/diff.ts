// `--diff`: unified diffs of changed text files (what is on the node -> what deploy pushes), with secrets
// such as auth_pass redacted. Pure; line-based LCS, which is plenty for configs and scripts.

const CONTEXT = 3;
const MAX_LINES = 4000;

/**
 * Replaces auth_pass values and every given secret by a fixed mask, so a diff can be pasted anywhere. Applied to a
 * finished diff (lines may start with ' ', '-' or '+'), so a changed password still shows as a changed line.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(/^([ +-]?\s*auth_pass\s+)\S.*$/gm, '$1<redacted>');
  for (const s of [...secrets].filter((x) => x.length >= 3).sort((a, b) => b.length - a.length)) out = out.split(s).join('<redacted>');
  return out;
}

/** Whether content is worth a line diff (not binary, not huge). */
export function isText(content: Buffer | string): boolean {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  return buf.length <= 512 * 1024 && !buf.includes(0);
}

type Op = { kind: ' ' | '-' | '+'; line: string };

function lcsOps(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lengths[i][j] = LCS of a[i..] and b[j..]
  const lengths: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = lengths[i] as Uint32Array;
    const next = lengths[i + 1] as Uint32Array;
    for (let j = m - 1; j >= 0; j--) row[j] = a[i] === b[j] ? (next[j + 1] as number) + 1 : Math.max(next[j] as number, row[j + 1] as number);
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i] as string });
      i++;
      j++;
    } else if ((lengths[i + 1] as Uint32Array)[j] as number >= ((lengths[i] as Uint32Array)[j + 1] as number)) ops.push({ kind: '-', line: a[i++] as string });
    else ops.push({ kind: '+', line: b[j++] as string });
  }
  while (i < n) ops.push({ kind: '-', line: a[i++] as string });
  while (j < m) ops.push({ kind: '+', line: b[j++] as string });
  return ops;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * A unified diff (`---`/`+++` headers, `@@` hunks with 3 lines of context) from `before` (null: the file does not
 * exist) to `after`; '' when they are equal.
 */
export function unifiedDiff(label: string, before: string | null, after: string): string {
  if (before === after) return '';
  const a = splitLines(before ?? '');
  const b = splitLines(after);
  if (a.length > MAX_LINES || b.length > MAX_LINES) return `--- ${label}\n+++ ${label}\n(too long to diff: ${a.length} -> ${b.length} lines)\n`;
  const ops = lcsOps(a, b);
  const out = [`--- ${before === null ? '/dev/null' : `${label} (on the node)`}`, `+++ ${label} (deploy)`];
  // Group changes with their context into hunks.
  const changed = ops.map((o, i) => (o.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, (changed[k] as number) - CONTEXT);
    let end = Math.min(ops.length, (changed[k] as number) + CONTEXT + 1);
    while (k + 1 < changed.length && (changed[k + 1] as number) - CONTEXT <= end) {
      k++;
      end = Math.min(ops.length, (changed[k] as number) + CONTEXT + 1);
    }
    k++;
    let aLine = 1;
    let bLine = 1;
    for (const o of ops.slice(0, start)) {
      if (o.kind !== '+') aLine++;
      if (o.kind !== '-') bLine++;
    }
    const hunk = ops.slice(start, end);
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${aCount === 0 ? aLine - 1 : aLine},${aCount} +${bCount === 0 ? bLine - 1 : bLine},${bCount} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
  }
  return `${out.join('\n')}\n`;
}
