// The files a deploy wants on one host: its rendered files plus, for the haup engine, the agent bundle; and
// what a change to each requires from the running daemon. Pure.
import type { HostModel } from '../inventory/model.js';
import type { DesiredFile } from '../plan/plan.js';
import type { RenderedFile } from '../render/render.js';

/** The native addon sits beside the bundle on a node (agent/net/socket.ts looks there first). */
export const AGENT_ADDON_PATH = '/opt/haup/haup_raw.node';

/** Suffix of the previous version of each replaced file, kept for rollback (a hard link). */
export const BACKUP_SUFFIX = '.haup-prev';

export interface AgentBundle {
  /** dist/agent/haup-agent.cjs */
  js: Buffer;
  /** dist/agent/haup_raw.node */
  addon: Buffer;
  /** Where they were read from, for messages. */
  dir: string;
}

/**
 * The unit file is only pushed where systemd runs the host: elsewhere (the lab, containers) nothing reads it,
 * and in the lab /etc/systemd is the workstation's own.
 */
export function desiredFiles(host: HostModel, rendered: readonly RenderedFile[], bundle: AgentBundle | null, init: 'systemd' | 'none'): DesiredFile[] {
  const files: DesiredFile[] = [];
  for (const f of rendered) {
    if (f.host !== host.id) continue;
    if (f.kind === 'unit' && init !== 'systemd') continue;
    // Scripts are read each time they run, but the agent checks their ownership (script security) on load.
    files.push({ path: f.path, mode: f.mode, content: f.content, effect: f.kind === 'unit' ? 'restart' : 'reload' });
  }
  if (host.engine === 'haup' && host.paths.agent !== null) {
    if (bundle === null) throw new Error(`internal: ${host.id} uses the haup engine but no agent bundle was read`);
    files.push({ path: host.paths.agent, mode: 0o755, content: bundle.js, effect: 'restart' });
    files.push({ path: AGENT_ADDON_PATH, mode: 0o644, content: bundle.addon, effect: 'restart' });
  }
  return files;
}
