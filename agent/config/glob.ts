// Pure glob helpers for `include`: csh-style brace expansion and one path segment's wildcard -> RegExp.

/** Expands `{a,b}` alternatives (nested allowed): "x/{a,b{1,2}}" -> ["x/a", "x/b1", "x/b2"]. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let start = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        const body = pattern.slice(start + 1, i);
        const alts: string[] = [];
        let d = 0;
        let from = 0;
        for (let j = 0; j < body.length; j++) {
          if (body[j] === '{') d++;
          else if (body[j] === '}') d--;
          else if (body[j] === ',' && d === 0) {
            alts.push(body.slice(from, j));
            from = j + 1;
          }
        }
        alts.push(body.slice(from));
        const pre = pattern.slice(0, start);
        const post = pattern.slice(i + 1);
        return alts.flatMap((a) => expandBraces(pre + a + post));
      }
    }
  }
  return [pattern];
}

/** True if a path segment needs matching rather than a literal lookup. */
export function isWildSegment(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/** A RegExp for one path segment: `*`, `?`, `[abc]`, `[!abc]`; like glob(3), a leading dot is not matched by a wildcard. */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let set = segment.slice(i + 1, end);
        if (set.startsWith('!')) set = `^${set.slice(1)}`;
        re += `[${set.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${segment.startsWith('.') ? '' : '(?!\\.)'}${re}$`);
}
