// Opens one SSH connection per host, all at once, grouping hosts that share keys and known_hosts into one pool.
import type { HostModel } from '../inventory/model.js';
import { SshPool, type SshHop, type SshOptions, type SshTarget } from '../transport/ssh.js';
import type { Transport } from '../transport/transport.js';

export interface ConnectFlags {
  /** --known-hosts: replaces every host's known_hosts file. */
  knownHosts?: string | undefined;
  /** --trust-new-hosts: record unknown host keys (a changed key is still refused). */
  trustNewHosts?: boolean | undefined;
}

/** "[user@]host[:port]" as the inventory's ssh.jump allows it. */
export function parseJump(jump: string): SshHop {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(jump);
  if (!m) return { host: jump };
  const host = (m[2] as string).replace(/^\[|\]$/g, '');
  return { host, ...(m[1] ? { user: m[1] } : {}), ...(m[3] ? { port: Number(m[3]) } : {}) };
}

export function sshOptionsFor(h: HostModel, flags: ConnectFlags): SshOptions {
  return {
    ...(h.ssh.key !== null ? { identityFiles: [h.ssh.key] } : {}),
    knownHostsFiles: [flags.knownHosts ?? h.ssh.knownHosts],
    trustNewHosts: flags.trustNewHosts ?? false,
    connectTimeoutMs: h.ssh.connectTimeout * 1000,
    sudo: h.ssh.sudo,
  };
}

export function targetFor(h: HostModel): SshTarget {
  return { host: h.host, port: h.ssh.port, user: h.ssh.user, name: h.id, ...(h.ssh.jump ? { jump: parseJump(h.ssh.jump) } : {}) };
}

/** Pools keyed by their options, so hosts with the same key and known_hosts share parsed keys and files. */
export class Connections {
  private readonly pools = new Map<string, SshPool>();

  constructor(private readonly flags: ConnectFlags) {}

  connect(h: HostModel): Promise<Transport> {
    const opts = sshOptionsFor(h, this.flags);
    const key = JSON.stringify(opts);
    let pool = this.pools.get(key);
    if (!pool) this.pools.set(key, (pool = new SshPool(opts)));
    return pool.connect(targetFor(h));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.closeAll()));
  }
}
