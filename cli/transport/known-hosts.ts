// Package known-hosts parses OpenSSH known_hosts text and decides, purely, whether a server's host key is trusted.
// Format: sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"; hashed names per OpenSSH hostfile.c (HMAC-SHA1, "|1|salt|hash").
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type HostField =
  | { kind: 'hashed'; salt: Buffer; hash: Buffer }
  | { kind: 'patterns'; patterns: readonly string[] };

export interface KnownHostEntry {
  /** File the entry came from, and its 1-based line, so messages can point at it. */
  source: string;
  line: number;
  marker: 'revoked' | 'cert-authority' | null;
  hosts: HostField;
  keyType: string;
  /** The raw SSH public key blob (base64-decoded third field). */
  key: Buffer;
}

export interface KeyInfo {
  type: string;
  /** OpenSSH style: "SHA256:" + unpadded base64 of the blob's SHA-256. */
  fingerprint: string;
}

export type HostKeyVerdict =
  | { kind: 'trusted'; offered: KeyInfo; entry: KnownHostEntry }
  | { kind: 'unknown'; offered: KeyInfo }
  | { kind: 'changed'; offered: KeyInfo; known: ReadonlyArray<KeyInfo & { source: string; line: number }> }
  | { kind: 'revoked'; offered: KeyInfo; entry: KnownHostEntry };

export interface ParsedKnownHosts {
  entries: KnownHostEntry[];
  /** Lines that could not be parsed ("file:line: why"); OpenSSH skips them too. */
  problems: string[];
}

export function parseKnownHosts(text: string, source: string): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        problems.push(`${source}:${i + 1}: unknown marker ${m}`);
        return;
      }
    }
    const [hostText, keyType, keyText] = fields;
    if (!hostText || !keyType || !keyText) {
      problems.push(`${source}:${i + 1}: expected "hosts keytype base64-key"`);
      return;
    }
    const key = Buffer.from(keyText, 'base64');
    if (key.length === 0 || keyBlobType(key) !== keyType) {
      problems.push(`${source}:${i + 1}: key does not decode as ${keyType}`);
      return;
    }
    const hosts = parseHostField(hostText);
    if (!hosts) {
      problems.push(`${source}:${i + 1}: malformed hashed host name`);
      return;
    }
    entries.push({ source, line: i + 1, marker, hosts, keyType, key });
  });
  return { entries, problems };
}

function parseHostField(text: string): HostField | null {
  if (!text.startsWith('|')) return { kind: 'patterns', patterns: text.split(',').filter((p) => p !== '') };
  const m = /^\|1\|([^|]+)\|([^|]+)$/.exec(text);
  if (!m?.[1] || !m[2]) return null;
  const salt = Buffer.from(m[1], 'base64');
  const hash = Buffer.from(m[2], 'base64');
  return salt.length === 20 && hash.length === 20 ? { kind: 'hashed', salt, hash } : null;
}

/** The name OpenSSH looks up: "host" on port 22, "[host]:port" otherwise. */
export function hostKeyName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH hostfile.c host_hash(): HMAC-SHA1 keyed with the salt over the name. */
export function hashHostName(name: string, salt: Buffer): Buffer {
  return createHmac('sha1', salt).update(name).digest();
}

export function matchesHost(field: HostField, name: string): boolean {
  if (field.kind === 'hashed') {
    const h = hashHostName(name, field.salt);
    return h.length === field.hash.length && timingSafeEqual(h, field.hash);
  }
  // match.c match_hostname(): any negated match vetoes the line; otherwise one positive match is needed.
  const lower = name.toLowerCase();
  let positive = false;
  for (const p of field.patterns) {
    const negated = p.startsWith('!');
    if (globMatch(negated ? p.slice(1).toLowerCase() : p.toLowerCase(), lower)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

function globMatch(pattern: string, text: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(text);
}

/** The key type embedded in an SSH public key blob (RFC 4253 §6.6: string "ssh-ed25519", ...). */
export function keyBlobType(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return null;
  return blob.toString('latin1', 4, 4 + len);
}

export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export function describeKey(blob: Buffer): KeyInfo {
  return { type: keyBlobType(blob) ?? 'unknown', fingerprint: fingerprintSha256(blob) };
}

/** OpenSSH's display name for a key type, as in "ED25519 key fingerprint is ...". */
export function keyTypeLabel(type: string): string {
  if (type === 'ssh-ed25519') return 'ED25519';
  if (type.startsWith('ecdsa-')) return 'ECDSA';
  if (type === 'ssh-rsa') return 'RSA';
  if (type === 'ssh-dss') return 'DSA';
  return type;
}

/**
 * Decide like OpenSSH with StrictHostKeyChecking=yes: a revoked key is refused; a matching key is trusted; any
 * other key on record for the name (of any type) means the key changed; no record at all means unknown.
 * @cert-authority lines are ignored: host certificates are not supported.
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, offeredBlob: Buffer): HostKeyVerdict {
  const offered = describeKey(offeredBlob);
  const name = hostKeyName(host, port);
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && matchesHost(e.hosts, name));
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(offeredBlob));
  if (revoked) return { kind: 'revoked', offered, entry: revoked };
  const plain = forHost.filter((e) => e.marker === null);
  const match = plain.find((e) => e.key.equals(offeredBlob));
  if (match) return { kind: 'trusted', offered, entry: match };
  if (plain.length > 0) {
    return { kind: 'changed', offered, known: plain.map((e) => ({ ...describeKey(e.key), source: e.source, line: e.line })) };
  }
  return { kind: 'unknown', offered };
}

/** A line to append for trust-on-first-use (plain host name, like OpenSSH with HashKnownHosts=no). */
export function formatKnownHostsLine(host: string, port: number, blob: Buffer): string {
  return `${hostKeyName(host, port)} ${keyBlobType(blob) ?? 'unknown'} ${blob.toString('base64')}\n`;
}

const ALGORITHMS_BY_KEY_TYPE: Record<string, readonly string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * Order host key algorithms so the types already on record for this host come first, as OpenSSH's
 * order_hostkeyalgs() does; otherwise a server with several keys may present one we do not know.
 */
export function preferredHostKeyAlgorithms(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  supported: readonly string[],
): string[] {
  const name = hostKeyName(host, port);
  const knownTypes = new Set(entries.filter((e) => e.marker === null && matchesHost(e.hosts, name)).map((e) => e.keyType));
  const knownAlgs = new Set([...knownTypes].flatMap((t) => ALGORITHMS_BY_KEY_TYPE[t] ?? [t]));
  return [...supported.filter((a) => knownAlgs.has(a)), ...supported.filter((a) => !knownAlgs.has(a))];
}
