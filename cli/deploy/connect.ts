// Opens one SSH connection per host, all at once, grouping hosts that share keys and known_hosts into one pool; by
// default through the SSH keeper, which keeps them open between runs (like OpenSSH's ControlPersist).
import type { HostModel } from '../inventory/model.js';
import type { KeeperClient } from '../transport/keeper-client.js';
import { persistSeconds } from '../transport/keeper-paths.js';
import type { KeeperSshOptions, KeeperTarget } from '../transport/keeper-protocol.js';
// Types only: ssh2 (~90 ms to load) is imported when connecting directly, never by a run the keeper serves.
import type { SshHop, SshOptions, SshPool, SshTarget } from '../transport/ssh.js';
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

/** What the keeper needs to connect exactly as SshPool would from this process (its env, its defaults). */
export function keeperRequestFor(h: HostModel, flags: ConnectFlags, env: NodeJS.ProcessEnv): { target: KeeperTarget; options: KeeperSshOptions } {
  const o = sshOptionsFor(h, flags);
  const t = targetFor(h);
  const hop = (x: SshHop) => ({ host: x.host, port: x.port ?? 22, user: x.user ?? 'root' });
  return {
    target: { ...hop(t), ...(t.name ? { name: t.name } : {}), ...(t.jump ? { jump: hop(t.jump) } : {}) },
    options: {
      ...(o.identityFiles ? { identityFiles: [...o.identityFiles] } : {}),
      knownHostsFiles: [flags.knownHosts ?? h.ssh.knownHosts], // as sshOptionsFor() sets it
      trustNewHosts: o.trustNewHosts ?? false,
      connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
      sudo: o.sudo ?? true,
      agentSocket: env.SSH_AUTH_SOCK || null,
      ...(env.HAUP_SSH_PASSPHRASE !== undefined ? { passphrase: env.HAUP_SSH_PASSPHRASE } : {}),
    },
  };
}

/**
 * Pools keyed by their options, so hosts with the same key and known_hosts share parsed keys and files. With
 * HAUP_SSH_PERSIST (or --ssh-persist) above 0, the default, transports come from the keeper instead.
 */
export class Connections {
  private readonly pools = new Map<string, SshPool>();
  private readonly persist: number;
  private keeper: Promise<KeeperClient> | undefined;

  /** Throws HAUP_USAGE for a malformed HAUP_SSH_PERSIST. */
  constructor(
    private readonly flags: ConnectFlags,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.persist = persistSeconds(env);
  }

  connect(h: HostModel): Promise<Transport> {
    return this.persist > 0 ? this.viaKeeper(h) : this.direct(h);
  }

  private async direct(h: HostModel): Promise<Transport> {
    const opts = sshOptionsFor(h, this.flags);
    const key = JSON.stringify(opts);
    let pool = this.pools.get(key);
    if (!pool) {
      const { SshPool: Pool } = await import('../transport/ssh.js');
      pool = this.pools.get(key) ?? new Pool(opts); // another host may have made it while this one imported
      this.pools.set(key, pool);
    }
    return pool.connect(targetFor(h));
  }

  private async viaKeeper(h: HostModel): Promise<Transport> {
    this.keeper ??= import('../transport/keeper-client.js').then(({ KeeperClient }) => KeeperClient.open({ idleSeconds: this.persist, env: this.env }));
    const { target, options } = keeperRequestFor(h, this.flags, this.env);
    return (await this.keeper).connect(target, options);
  }

  /** The keeper this run talks to (null when connecting directly or not yet connected). */
  async keeperClient(): Promise<KeeperClient | null> {
    return this.keeper ? this.keeper.catch(() => null) : null;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.closeAll()));
    const keeper = await this.keeperClient();
    await keeper?.close();
  }
}
