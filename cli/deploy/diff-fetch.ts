// `--diff`: reads the current versions of the files a deploy would change (one round trip for all of them) and
// diffs them against the rendered ones, secrets redacted.
import type { HostModel } from '../inventory/model.js';
import type { HostFacts } from '../plan/facts.js';
import type { DesiredFile } from '../plan/plan.js';
import { shellQuote } from '../transport/remote-script.js';
import { commandFailedError, type Transport } from '../transport/transport.js';
import { AGENT_ADDON_PATH } from './desired.js';
import { isText, redact, unifiedDiff } from './diff.js';

/** Every secret the host's rendered files may hold, to mask wherever it appears. */
export function hostSecrets(h: HostModel): string[] {
  return h.instances.flatMap((i) => (i.auth ? [i.auth.pass] : []));
}

export async function fetchDiffs(t: Transport, h: HostModel, writes: readonly DesiredFile[], facts: HostFacts): Promise<string> {
  const bundle = new Set([h.paths.agent, AGENT_ADDON_PATH]);
  const diffable = (w: DesiredFile) => !bundle.has(w.path) && isText(w.content);
  const text = writes.filter(diffable);
  const existing = text.filter((w) => facts.files.get(w.path) != null);
  const before = new Map<string, string>();
  if (existing.length > 0) {
    const script = existing.map((w) => `echo "=== ${w.path.length}"; base64 -w0 < ${shellQuote(w.path)}; echo`).join('\n');
    const res = await t.exec(['sh', '-c', script], { sudo: true });
    if (res.code !== 0) throw commandFailedError(t.name, ['sh', '-c', script], res, 'reading files for --diff');
    const blocks = res.stdout.split(/^=== \d+\n/m).slice(1);
    existing.forEach((w, i) => before.set(w.path, Buffer.from((blocks[i] ?? '').trim(), 'base64').toString('utf8')));
  }
  const secrets = hostSecrets(h);
  const out: string[] = [];
  for (const w of writes) {
    const label = `${h.id}:${w.path}`;
    if (!diffable(w)) {
      out.push(`--- ${label}\n+++ ${label}\n(${bundle.has(w.path) ? 'haup agent bundle' : 'binary file'} changed, now ${Buffer.byteLength(w.content)} bytes)\n`);
      continue;
    }
    const d = unifiedDiff(label, before.get(w.path) ?? null, String(w.content));
    // The node's old file may hold an old password the inventory no longer knows: auth_pass lines are masked too.
    out.push(d === '' ? `--- ${label}\n+++ ${label}\n(only the mode or owner changed)\n` : redact(d, secrets));
  }
  return out.join('');
}
