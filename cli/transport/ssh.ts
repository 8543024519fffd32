// Package ssh connects to hosts with ssh2 — one connection per host (and per jump host), reused for everything a
// run does — and hands out SshTransports. Connecting lives in ssh-connect.ts, the Transport in ssh-transport.ts.
import { HaupError } from '../errors.js';
import {
  defaultKnownHostsFiles,
  defaultLookup,
  KnownHostsStore,
  loadIdentities,
  openClient,
  type Identity,
  type LookupFn,
  type SshClient,
} from './ssh-connect.js';
import type { Endpoint } from './ssh-errors.js';
import { SshTransport } from './ssh-transport.js';

export { SshTransport };

export interface SshOptions {
  /** Private key files tried in order (default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exist). */
  identityFiles?: readonly string[];
  /** Passphrase for encrypted keys (default: $HAUP_SSH_PASSPHRASE). Never logged. */
  passphrase?: string;
  /** ssh-agent socket tried after the key files (default: $SSH_AUTH_SOCK); null disables the agent. */
  agentSocket?: string | null;
  /** known_hosts files (default ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts); new hosts are recorded in the first. */
  knownHostsFiles?: readonly string[];
  /** Trust-on-first-use: accept and record an unknown host key. A changed key is still refused. */
  trustNewHosts?: boolean;
  /** DNS + TCP + handshake + authentication budget per connection (default 10 000). */
  connectTimeoutMs?: number;
  lookup?: LookupFn;
  /** Route commands and file operations through `sudo -n` when the user is not root (default true). */
  sudo?: boolean;
  /** Concurrent command channels per connection (default 8, plus one SFTP session; OpenSSH's MaxSessions is 10). */
  maxChannels?: number;
  keepaliveIntervalMs?: number;
  /**
   * How files move: 'auto' (default) uses one SFTP session per connection when no sudo is needed and owners are
   * root or numeric, else a shell script; 'exec' always uses the script (servers without an SFTP subsystem).
   */
  fileTransfer?: 'auto' | 'exec';
}

export interface SshHop {
  host: string;
  port?: number;
  /** Login user (default root). */
  user?: string;
}

export interface SshTarget extends SshHop {
  /** Display name, e.g. the inventory host name. */
  name?: string;
  /** Connect through this host first, like OpenSSH ProxyJump; both host keys are checked. */
  jump?: SshHop;
}

interface Shared {
  knownHosts: KnownHostsStore;
  identities: Identity[];
  identityNotes: string[];
}

/** One connection per host (and per jump host), shared by everything that asks for it during a run. */
export class SshPool {
  private readonly transports = new Map<string, Promise<SshTransport>>();
  private readonly jumps = new Map<string, Promise<SshClient>>();
  private shared: Promise<Shared> | undefined;

  constructor(private readonly opts: SshOptions = {}) {}

  private load(): Promise<Shared> {
    this.shared ??= (async () => {
      const knownHosts = await KnownHostsStore.load(this.opts.knownHostsFiles ?? defaultKnownHostsFiles());
      const { identities, notes } = await loadIdentities(this.opts.identityFiles, this.opts.passphrase ?? process.env.HAUP_SSH_PASSPHRASE);
      return { knownHosts, identities, identityNotes: notes };
    })();
    return this.shared;
  }

  private async open(hop: SshHop, via?: { client: SshClient; label: string }): Promise<{ client: SshClient; endpoint: Endpoint }> {
    const shared = await this.load();
    const port = hop.port ?? 22;
    const user = hop.user ?? 'root';
    const agent = this.opts.agentSocket === null ? undefined : (this.opts.agentSocket ?? process.env.SSH_AUTH_SOCK);
    const client = await openClient({
      host: hop.host,
      port,
      user,
      ...shared,
      agentSocket: agent || undefined,
      trustNewHosts: this.opts.trustNewHosts ?? false,
      connectTimeoutMs: this.opts.connectTimeoutMs ?? 10_000,
      lookup: this.opts.lookup ?? defaultLookup,
      keepaliveIntervalMs: this.opts.keepaliveIntervalMs ?? 15_000,
      ...(via ? { via } : {}),
    });
    return { client, endpoint: { host: hop.host, port, user, ...(via ? { via: via.label } : {}) } };
  }

  private jump(hop: SshHop): Promise<SshClient> {
    const key = `${hop.user ?? 'root'}@${hop.host}:${hop.port ?? 22}`;
    let p = this.jumps.get(key);
    if (!p) {
      p = this.open(hop).then(
        ({ client }) => {
          client.on('error', () => {}); // failures surface on the tunnelled connections
          client.on('close', () => this.jumps.delete(key));
          return client;
        },
        (err: unknown) => {
          this.jumps.delete(key);
          if (!(err instanceof HaupError)) throw err;
          throw new HaupError(err.code, `jump host: ${err.message}`, { hint: err.hint, details: err.details, cause: err.cause });
        },
      );
      this.jumps.set(key, p);
    }
    return p;
  }

  /** The transport for a host; concurrent callers share one connection attempt. */
  connect(target: SshTarget): Promise<SshTransport> {
    const key = `${target.user ?? 'root'}@${target.host}:${target.port ?? 22}${target.jump ? ` via ${target.jump.host}:${target.jump.port ?? 22}` : ''}`;
    let p = this.transports.get(key);
    if (!p) {
      p = (async () => {
        const via = target.jump ? { client: await this.jump(target.jump), label: `jump host ${target.jump.host}:${target.jump.port ?? 22}` } : undefined;
        const { client, endpoint } = await this.open(target, via);
        const t = new SshTransport(client, endpoint, {
          sudo: this.opts.sudo ?? true,
          maxChannels: this.opts.maxChannels ?? 8,
          fileTransfer: this.opts.fileTransfer ?? 'auto',
          ...(target.name ? { name: target.name } : {}),
        });
        client.on('close', () => this.transports.delete(key));
        return t;
      })();
      p.catch(() => this.transports.delete(key));
      this.transports.set(key, p);
    }
    return p;
  }

  async closeAll(): Promise<void> {
    const ts = await Promise.allSettled([...this.transports.values()]);
    await Promise.all(ts.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
    const js = await Promise.allSettled([...this.jumps.values()]);
    for (const r of js) if (r.status === 'fulfilled') r.value.end();
    this.transports.clear();
    this.jumps.clear();
  }
}

/** One host, one connection; close() also closes its jump host connection. */
export async function connectSsh(target: SshTarget, opts: SshOptions = {}): Promise<SshTransport> {
  const pool = new SshPool(opts);
  try {
    const t = await pool.connect(target);
    t.onClosed(() => pool.closeAll());
    return t;
  } catch (err) {
    await pool.closeAll();
    throw err;
  }
}
