// Package keeper-pool holds the SSH keeper's authenticated connections between CLI runs. A kept connection is reused
// only for the same target and options, only while the host's known_hosts entries are what they were when its key
// was verified (strict checking still holds), and only if it still answers; otherwise it is dropped and made again.
import { HaupError } from '../errors.js';
import { hostKeyName, matchesHost, type KnownHostEntry } from './known-hosts.js';
import { connectionKey, jumpKey, type KeeperHop, type KeeperSshOptions, type KeeperTarget } from './keeper-protocol.js';
import { defaultLookup, KnownHostsStore, loadIdentities, openClient, type Identity, type SshClient } from './ssh-connect.js';
import type { Endpoint } from './ssh-errors.js';
import { SshTransport } from './ssh-transport.js';

/**
 * The known_hosts entries that decide a host's verdict (every plain and @revoked line matching its name), as one
 * comparable string. checkHostKey() depends on nothing else, so an unchanged record means an unchanged verdict.
 */
export function hostKeyRecord(entries: readonly KnownHostEntry[], host: string, port: number): string {
  const name = hostKeyName(host, port);
  return entries
    .filter((e) => e.marker !== 'cert-authority' && matchesHost(e.hosts, name))
    .map((e) => `${e.marker ?? '-'} ${e.keyType} ${e.key.toString('base64')}`)
    .sort()
    .join('\n');
}

interface KeptJump {
  key: string;
  hop: KeeperHop;
  client: SshClient;
  hostKeys: string;
  dead: boolean;
  /** Target connections tunnelled through it. */
  refs: number;
}

export interface Kept {
  key: string;
  label: string;
  transport: SshTransport;
  client: SshClient;
  connectTimeoutMs: number;
  hostKeys: string;
  jump: KeptJump | null;
  dead: boolean;
  /** Replaced or dropped: no new users; closed when the last handle is released. */
  retired: boolean;
  /** Open handles (CLI transports) using it now. */
  users: number;
}

/**
 * RFC 4254 §4: a global request with want-reply is answered with SUCCESS or FAILURE. Cancelling a forward that was
 * never set up (§7.1) costs sshd no fork, and either answer proves the peer is there.
 */
export function pingClient(client: SshClient, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (alive: boolean) => {
      clearTimeout(timer);
      client.off('close', onClose);
      resolve(alive);
    };
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.once('close', onClose);
    try {
      client.unforwardIn('127.0.0.1', 1, () => done(true));
    } catch {
      done(false); // "Not connected": the socket is gone already
    }
  });
}

/**
 * A kept connection that does not answer this fast is made again: an idle sshd answers at once, and a host that went
 * away without a FIN/RST would otherwise cost the ping's wait on top of the reconnect's own connect timeout.
 */
const PING_TIMEOUT_MS = 3000;

export type PoolEvent = (event: string, label: string, detail?: string) => void;

function label(h: KeeperHop): string {
  return `${h.user}@${h.host}:${h.port}`;
}

/**
 * known_hosts reads in flight, by file list. One CLI run sends all its hosts' connects at once; they share one read
 * and parse (a 40-line file costs ~1 ms each, so ~40 ms of keeper CPU per 40-host run). A connect that arrives after
 * a read finished starts a new one, so every run still sees the file as it is now.
 */
export class SharedReads<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  constructor(private readonly read: (files: readonly string[]) => Promise<T>) {}

  get(files: readonly string[]): Promise<T> {
    const key = JSON.stringify(files);
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.read(files).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }
}

export class KeptConnections {
  private readonly kept = new Map<string, Kept>();
  /** Every open connection, including retired ones still in use. */
  private readonly live = new Set<Kept>();
  private readonly jumps = new Map<string, Promise<KeptJump>>();
  private readonly acquiring = new Map<string, Promise<{ kept: Kept; reused: boolean }>>();
  /** SSH connections opened so far (targets and jump hosts). */
  opened = 0;

  private readonly knownHosts: SharedReads<KnownHostsStore>;

  constructor(
    private readonly log: PoolEvent = () => {},
    loadKnownHosts: (files: readonly string[]) => Promise<KnownHostsStore> = (files) => KnownHostsStore.load(files),
  ) {
    this.knownHosts = new SharedReads(loadKnownHosts);
  }

  /** Open target connections. */
  get size(): number {
    return this.live.size;
  }

  /** The connection for a target, reused when still valid; concurrent callers for one key share the attempt. */
  acquire(target: KeeperTarget, o: KeeperSshOptions): Promise<{ kept: Kept; reused: boolean }> {
    const key = connectionKey(target, o);
    let p = this.acquiring.get(key);
    if (!p) {
      p = this.acquireOnce(key, target, o).finally(() => this.acquiring.delete(key));
      this.acquiring.set(key, p);
    }
    return p.then((r) => {
      r.kept.users += 1;
      return r;
    });
  }

  /** A handle is done with the connection; a retired one closes with its last user. */
  release(k: Kept): void {
    k.users = Math.max(0, k.users - 1);
    if (k.retired && k.users === 0) void this.close(k);
  }

  private async acquireOnce(key: string, target: KeeperTarget, o: KeeperSshOptions): Promise<{ kept: Kept; reused: boolean }> {
    // Read known_hosts afresh for every run's connects: someone may have removed or changed an entry since.
    const store = await this.knownHosts.get(o.knownHostsFiles);
    const existing = this.kept.get(key);
    if (existing) {
      const why = await this.staleReason(existing, store, target);
      if (why === null) {
        this.log('reuse', existing.label);
        return { kept: existing, reused: true };
      }
      this.log('drop', existing.label, why);
      this.retire(existing);
    }
    const kept = await this.open(key, target, o, store);
    this.kept.set(key, kept);
    return { kept, reused: false };
  }

  private async staleReason(k: Kept, store: KnownHostsStore, target: KeeperTarget): Promise<string | null> {
    if (k.dead) return 'connection-closed';
    if (hostKeyRecord(store.entries, target.host, target.port) !== k.hostKeys) return 'known-hosts-changed';
    if (k.jump) {
      if (k.jump.dead) return 'jump-closed';
      if (hostKeyRecord(store.entries, k.jump.hop.host, k.jump.hop.port) !== k.jump.hostKeys) return 'jump-known-hosts-changed';
    }
    if (!(await pingClient(k.client, Math.min(k.connectTimeoutMs, PING_TIMEOUT_MS)))) return 'no-answer';
    return k.dead ? 'connection-closed' : null;
  }

  private retire(k: Kept): void {
    if (this.kept.get(k.key) === k) this.kept.delete(k.key);
    k.retired = true;
    if (k.users === 0) void this.close(k);
  }

  private async close(k: Kept): Promise<void> {
    if (this.kept.get(k.key) === k) this.kept.delete(k.key);
    this.live.delete(k);
    k.retired = true;
    await k.transport.close().catch(() => {});
    this.unrefJump(k);
  }

  private unrefJump(k: Kept): void {
    const j = k.jump;
    if (!j) return;
    k.jump = null;
    j.refs -= 1;
    // A jump connection stays while it is the current one for its key (it may serve the next run).
    if (j.refs <= 0 && (j.dead || !this.isCurrentJump(j))) j.client.end();
  }

  private currentJumps = new Set<KeptJump>();

  private isCurrentJump(j: KeptJump): boolean {
    return this.currentJumps.has(j);
  }

  private async open(key: string, target: KeeperTarget, o: KeeperSshOptions, store: KnownHostsStore): Promise<Kept> {
    const { identities, notes } = await loadIdentities(o.identityFiles, o.passphrase);
    const jump = target.jump ? await this.jump(target.jump, o, store, identities, notes) : null;
    let client: SshClient;
    try {
      client = await this.openHop(target, o, store, identities, notes, jump ? { client: jump.client, label: `jump host ${jump.hop.host}:${jump.hop.port}` } : undefined);
    } catch (err) {
      if (jump) {
        jump.refs -= 1;
        if (jump.refs <= 0 && !this.isCurrentJump(jump)) jump.client.end();
      }
      this.log('connect-failed', label(target), err instanceof HaupError ? err.code : 'error');
      throw err;
    }
    const endpoint: Endpoint = { host: target.host, port: target.port, user: target.user, ...(jump ? { via: `jump host ${jump.hop.host}:${jump.hop.port}` } : {}) };
    const transport = new SshTransport(client, endpoint, { sudo: o.sudo, maxChannels: 8, fileTransfer: 'auto', ...(target.name ? { name: target.name } : {}) });
    const kept: Kept = {
      key,
      label: label(target),
      transport,
      client,
      connectTimeoutMs: o.connectTimeoutMs,
      // Taken after the handshake: trust-on-first-use has added the new key to the store by then.
      hostKeys: hostKeyRecord(store.entries, target.host, target.port),
      jump,
      dead: false,
      retired: false,
      users: 0,
    };
    this.live.add(kept);
    client.on('close', () => {
      kept.dead = true;
      this.live.delete(kept);
      if (this.kept.get(key) === kept) {
        this.kept.delete(key);
        this.log('closed', kept.label);
      }
      this.unrefJump(kept);
    });
    this.log('connect', kept.label, jump ? `via ${label(jump.hop)}` : undefined);
    return kept;
  }

  private async openHop(
    hop: KeeperHop,
    o: KeeperSshOptions,
    store: KnownHostsStore,
    identities: Identity[],
    identityNotes: string[],
    via?: { client: SshClient; label: string },
  ): Promise<SshClient> {
    const client = await openClient({
      host: hop.host,
      port: hop.port,
      user: hop.user,
      identities,
      identityNotes,
      agentSocket: o.agentSocket || undefined,
      knownHosts: store,
      trustNewHosts: o.trustNewHosts,
      connectTimeoutMs: o.connectTimeoutMs,
      lookup: defaultLookup,
      keepaliveIntervalMs: 15_000,
      ...(via ? { via } : {}),
    });
    this.opened += 1;
    return client;
  }

  /** The shared jump host connection, checked like a target on reuse; errors carry the "jump host: " prefix. */
  private async jump(hop: KeeperHop, o: KeeperSshOptions, store: KnownHostsStore, identities: Identity[], notes: string[]): Promise<KeptJump> {
    const key = jumpKey(hop, o);
    const current = this.jumps.get(key);
    if (current) {
      const j = await current.catch(() => null);
      if (j && !j.dead && hostKeyRecord(store.entries, hop.host, hop.port) === j.hostKeys && (await pingClient(j.client, Math.min(o.connectTimeoutMs, PING_TIMEOUT_MS))) && !j.dead) {
        j.refs += 1;
        return j;
      }
      if (this.jumps.get(key) === current) {
        this.jumps.delete(key);
        if (j) {
          this.currentJumps.delete(j);
          this.log('drop', label(hop), 'jump host no longer valid');
          if (j.refs <= 0) j.client.end();
        }
      }
    }
    const p = this.openHop(hop, o, store, identities, notes).then(
      (client) => {
        const j: KeptJump = { key, hop, client, hostKeys: hostKeyRecord(store.entries, hop.host, hop.port), dead: false, refs: 0 };
        this.currentJumps.add(j);
        client.on('error', () => {}); // failures surface on the tunnelled connections
        client.on('close', () => {
          j.dead = true;
          this.currentJumps.delete(j);
          if (this.jumps.get(key) === p) this.jumps.delete(key);
        });
        this.log('connect', label(hop), 'jump host');
        return j;
      },
      (err: unknown) => {
        if (this.jumps.get(key) === p) this.jumps.delete(key);
        if (!(err instanceof HaupError)) throw err;
        throw new HaupError(err.code, `jump host: ${err.message}`, { hint: err.hint, details: err.details, cause: err.cause });
      },
    );
    this.jumps.set(key, p);
    const j = await p;
    j.refs += 1;
    return j;
  }

  /** Ends every connection (shutdown or idle exit). */
  async closeAll(): Promise<void> {
    const all = [...this.live];
    this.kept.clear();
    await Promise.all(all.map((k) => this.close(k)));
    const js = await Promise.allSettled([...this.jumps.values()]);
    this.jumps.clear();
    for (const r of js) if (r.status === 'fulfilled') r.value.client.end();
    this.currentJumps.clear();
  }
}
