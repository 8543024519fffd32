// Package ssh-connect opens one authenticated ssh2 connection: DNS, TCP (or a jump host's tunnel), strict host key
// check against known_hosts (optional trust-on-first-use), then key files and ssh-agent in order.
import { lookup as dnsLookup } from 'node:dns/promises';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, Client as ClientType, ParsedKey, ServerHostKeyAlgorithm } from 'ssh2';
import { HaupError } from '../errors.js';
import {
  checkHostKey,
  formatKnownHostsLine,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  type KnownHostEntry,
} from './known-hosts.js';
import { authError, hostKeyError, sshConnectError, type Endpoint, type SshErrorLike } from './ssh-errors.js';

const { Client, utils } = ssh2;
export type SshClient = ClientType;

export type LookupFn = (host: string) => Promise<{ address: string; family: number }>;

/** getaddrinfo, except RFC 6761 §6.4 ".invalid" names, which never resolve: answered here, so no query leaves. */
export const defaultLookup: LookupFn = async (host) => {
  if (/(^|\.)invalid\.?$/i.test(host)) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return dnsLookup(host);
};

export function defaultKnownHostsFiles(): string[] {
  return [join(homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
}

export function defaultIdentityFiles(): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f));
}

/** known_hosts entries from several files; trust-on-first-use appends to the first file. */
export class KnownHostsStore {
  readonly entries: KnownHostEntry[] = [];
  readonly problems: string[] = [];
  private constructor(readonly writeFile: string) {}

  static async load(files: readonly string[]): Promise<KnownHostsStore> {
    const store = new KnownHostsStore(files[0] ?? defaultKnownHostsFiles()[0]!);
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new HaupError('HAUP_SSH', `cannot read known_hosts file ${file}: ${(err as Error).message}`, { cause: err });
      }
      const parsed = parseKnownHosts(text, file);
      store.entries.push(...parsed.entries);
      store.problems.push(...parsed.problems);
    }
    return store;
  }

  /** Records a new host key: in memory at once (parallel connections see it), then appended to writeFile. */
  async trust(host: string, port: number, blob: Buffer): Promise<void> {
    if (checkHostKey(this.entries, host, port, blob).kind === 'trusted') return;
    const line = formatKnownHostsLine(host, port, blob);
    this.entries.push(...parseKnownHosts(line, this.writeFile).entries);
    await mkdir(dirname(this.writeFile), { recursive: true, mode: 0o700 });
    await appendFile(this.writeFile, line, { mode: 0o600 });
  }
}

export interface Identity {
  label: string;
  key: ParsedKey;
}

/**
 * Parses private key files once. Explicit files must exist; default ones (~/.ssh/id_*) are skipped when absent.
 * Keys that cannot be used are reported in `notes` (never with the passphrase).
 */
export async function loadIdentities(files: readonly string[] | undefined, passphrase: string | undefined): Promise<{ identities: Identity[]; notes: string[] }> {
  const identities: Identity[] = [];
  const notes: string[] = [];
  for (const file of files ?? defaultIdentityFiles()) {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (err) {
      if (files === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new HaupError('HAUP_SSH_AUTH', `cannot read SSH key file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        hint: 'check the identity file path in the inventory or on the command line',
        cause: err,
      });
    }
    const parsed = utils.parseKey(data, passphrase);
    const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed;
    if (!key || key instanceof Error) {
      const why = key instanceof Error ? key.message : 'no key found';
      const encrypted = /passphrase|encrypted|decrypt/i.test(why);
      notes.push(
        encrypted
          ? `${file}: encrypted key ${passphrase === undefined ? 'and HAUP_SSH_PASSPHRASE is not set' : 'and HAUP_SSH_PASSPHRASE does not open it'}`
          : `${file}: not a usable private key (${why})`,
      );
      continue;
    }
    if (!key.isPrivateKey()) {
      notes.push(`${file}: is a public key; name the private key file`);
      continue;
    }
    identities.push({ label: `key ${file} (${key.type})`, key });
  }
  return { identities, notes };
}

export interface ConnectParams {
  host: string;
  port: number;
  user: string;
  identities: readonly Identity[];
  identityNotes: readonly string[];
  agentSocket: string | undefined;
  knownHosts: KnownHostsStore;
  trustNewHosts: boolean;
  connectTimeoutMs: number;
  lookup: LookupFn;
  keepaliveIntervalMs: number;
  /** An authenticated jump host connection to tunnel through (OpenSSH ProxyJump), and its label. */
  via?: { client: SshClient; label: string };
}

const HOST_KEY_ALGORITHMS: readonly ServerHostKeyAlgorithm[] = [
  'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
];

function leveled(err: unknown, level: string): SshErrorLike {
  const e = err instanceof Error ? err : new Error(String(err));
  return Object.assign(e, { level: (e as SshErrorLike).level ?? level });
}

/**
 * Sends what is written to `sock` in one tick as one `writev`. Without the help of ssh2's optional native binding,
 * ssh2 writes each AES-GCM packet in three writes (length, ciphertext, tag), and with TCP_NODELAY each write is a
 * segment of its own: three system calls, three trips through the host's network stack and up to three wake-ups
 * of sshd per packet. A cold 20-pair deploy made ~4,700 such writes, and they were the SSH keeper's largest cost.
 * Corking until the tick ends keeps every byte and its order, and adds no delay: the data leaves when the code
 * that wrote it returns to the event loop, as it would anyway.
 */
export function coalesceWrites(sock: net.Socket): void {
  const write = sock.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    sock.uncork();
  };
  sock.write = function (this: net.Socket, ...args: Parameters<net.Socket['write']>): boolean {
    if (!corked) {
      corked = true;
      sock.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  } as net.Socket['write'];
}

async function openTcp(host: string, port: number, lookup: LookupFn, timeoutMs: number): Promise<net.Socket> {
  const started = Date.now();
  let address = host;
  if (net.isIP(host) === 0) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(leveled(new Error(`DNS lookup of ${host} timed out`), 'client-timeout')), timeoutMs);
    });
    try {
      address = (await Promise.race([lookup(host), timeout])).address;
    } catch (err) {
      throw leveled(err, 'client-dns');
    } finally {
      clearTimeout(timer);
    }
  }
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(leveled(new Error('TCP connect timed out'), 'client-timeout'));
    }, Math.max(1, timeoutMs - (Date.now() - started)));
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      sock.setNoDelay(true); // small exec requests must not wait for Nagle + delayed ACK
      coalesceWrites(sock);
      resolve(sock);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(leveled(err, 'client-socket'));
    });
  });
}

/** A direct-tcpip channel from the jump host to the target (RFC 4254 §7.2), with its failures given levels. */
function openTunnel(jump: SshClient, host: string, port: number, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(leveled(new Error('the jump host did not open the tunnel in time'), 'client-timeout')), timeoutMs);
    try {
      jump.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
        clearTimeout(timer);
        if (!err) return resolve(stream);
        const reason = (err as SshErrorLike).reason;
        // RFC 4254 §5.1 reason codes: 1 administratively prohibited, 2 connect failed.
        if (reason === 1) return reject(leveled(err, 'jump-forward'));
        return reject(leveled(err, /name or service|not known|resolve|getaddrinfo/i.test(err.message) ? 'client-dns' : 'client-socket'));
      });
    } catch (err) {
      clearTimeout(timer);
      reject(leveled(err, 'client-socket'));
    }
  });
}

export async function openClient(p: ConnectParams): Promise<SshClient> {
  const endpoint: Endpoint = { host: p.host, port: p.port, user: p.user, connectTimeoutMs: p.connectTimeoutMs, ...(p.via ? { via: p.via.label } : {}) };
  const started = Date.now();
  let sock: Duplex;
  try {
    sock = p.via ? await openTunnel(p.via.client, p.host, p.port, p.connectTimeoutMs) : await openTcp(p.host, p.port, p.lookup, p.connectTimeoutMs);
  } catch (err) {
    throw sshConnectError(err as SshErrorLike, endpoint);
  }
  const remaining = Math.max(1, p.connectTimeoutMs - (Date.now() - started));

  const methods: Array<{ label: string; method: AnyAuthMethod }> = [
    ...p.identities.map((i) => ({ label: i.label, method: { type: 'publickey' as const, username: p.user, key: i.key } })),
    ...(p.agentSocket ? [{ label: `ssh-agent (${p.agentSocket})`, method: { type: 'agent' as const, username: p.user, agent: p.agentSocket } }] : []),
  ];
  const tried: string[] = [];
  const notes = [...p.identityNotes];

  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKeyFailure: HaupError | null = null;
    let firstError: SshErrorLike | null = null;
    let done = false;
    const finish = (err: HaupError | null) => {
      if (done) return;
      done = true;
      clearTimeout(safety);
      if (err) {
        sock.destroy();
        reject(err);
      } else resolve(client);
    };
    // ssh2 clears its ready timer on handshake errors; this one always ends a stuck attempt.
    const safety = setTimeout(() => finish(sshConnectError({ message: 'timed out during the SSH handshake', level: 'client-timeout' }, endpoint)), remaining + 1000);

    client.on('ready', () => finish(null));
    client.on('error', (err: SshErrorLike) => {
      if (err.level === 'agent') notes.push(`ssh-agent: ${err.message}`);
      else firstError ??= err;
    });
    client.on('close', () => {
      if (hostKeyFailure) return finish(hostKeyFailure);
      if (firstError?.level === 'client-authentication') return finish(authError(endpoint, tried, notes));
      finish(sshConnectError(firstError ?? { message: 'connection closed before authentication', level: 'protocol' }, endpoint));
    });

    client.connect({
      sock,
      username: p.user,
      readyTimeout: remaining,
      keepaliveInterval: p.keepaliveIntervalMs,
      keepaliveCountMax: 3,
      algorithms: { serverHostKey: preferredHostKeyAlgorithms(p.knownHosts.entries, p.host, p.port, HOST_KEY_ALGORITHMS) as ServerHostKeyAlgorithm[] },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        const verdict = checkHostKey(p.knownHosts.entries, p.host, p.port, key);
        if (verdict.kind === 'trusted') return verify(true);
        if (verdict.kind === 'unknown' && p.trustNewHosts) {
          p.knownHosts.trust(p.host, p.port, key).then(
            () => verify(true),
            (err: Error) => {
              hostKeyFailure = new HaupError('HAUP_SSH', `cannot record the host key of ${p.host}:${p.port} in ${p.knownHosts.writeFile}: ${err.message}`, { cause: err });
              verify(false);
            },
          );
          return;
        }
        hostKeyFailure = hostKeyError(verdict, endpoint, p.knownHosts.writeFile);
        verify(false);
      },
      authHandler: (_methodsLeft, _partial, next) => {
        const m = methods[tried.length];
        // ssh2 (lib/client.js doNextAuth) takes false as "no more methods"; @types/ssh2 omits it.
        if (!m) return next(false as unknown as AnyAuthMethod);
        tried.push(m.label);
        next(m.method);
      },
    });
  });
}
