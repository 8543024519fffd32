// Ed25519 SSH key pairs for the lab (its login key, each host's host key), made in-process.
// Our own OpenSSH encoder: ssh2 1.17's generateKeyPairSync drops a leading zero byte of the key
// (about 1 key in 256), which sshd then refuses with "error in libcrypto".
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export interface SshKeyPair {
  /** OpenSSH private key file text ("-----BEGIN OPENSSH PRIVATE KEY-----"), no passphrase. */
  readonly privateKey: string;
  /** "ssh-ed25519 AAAA... comment". */
  readonly publicKey: string;
}

const KEY_TYPE = 'ssh-ed25519';

/** RFC 4251 §5 "string": uint32 length, then the bytes. */
function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** RFC 8709 §4: the public key blob is string "ssh-ed25519", string key (32 bytes). */
export function ed25519PublicBlob(publicKey: Buffer): Buffer {
  if (publicKey.length !== 32) throw new Error(`an ed25519 public key has 32 bytes, not ${publicKey.length}`);
  return Buffer.concat([sshString(KEY_TYPE), sshString(publicKey)]);
}

/**
 * The unencrypted "openssh-key-v1" format of OpenSSH's PROTOCOL.key: header, cipher and kdf "none",
 * one public key, then the private section (check ints, type, public key, seed || public key,
 * comment, padding 1, 2, 3, ... to a multiple of 8).
 */
export function encodeOpensshEd25519(seed: Buffer, publicKey: Buffer, comment: string, checkInt: number): SshKeyPair {
  if (seed.length !== 32) throw new Error(`an ed25519 seed has 32 bytes, not ${seed.length}`);
  const blob = ed25519PublicBlob(publicKey);
  const section = Buffer.concat([
    uint32(checkInt),
    uint32(checkInt),
    sshString(KEY_TYPE),
    sshString(publicKey),
    sshString(Buffer.concat([seed, publicKey])),
    sshString(comment),
  ]);
  const padLength = (8 - (section.length % 8)) % 8;
  const padding = Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1));
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(blob),
    sshString(Buffer.concat([section, padding])),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return {
    privateKey: ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n'),
    publicKey: `${KEY_TYPE} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`,
  };
}

/** DER prefixes of an ed25519 key (RFC 8410): SubjectPublicKeyInfo before the 32-byte key, PKCS#8 before the 32-byte seed. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * A fresh key pair, as `ssh-keygen -t ed25519 -N '' -C comment` makes it, without a process per key. The keys come
 * out DER-encoded from the generation itself: exporting KeyObjects as JWK instead can deadlock Node 20 (seen in
 * `haup lab up --hosts 40`: ExportJWKEdKey holds the key's mutex, allocates, the GC collects the finished key
 * generation job, whose destructor takes the same mutex).
 */
export function generateEd25519(comment: string): SshKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519', {
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  const raw = (der: Buffer, prefix: Buffer) => {
    if (der.length !== prefix.length + 32 || !der.subarray(0, prefix.length).equals(prefix)) throw new Error('node:crypto returned an ed25519 key in an unexpected DER form');
    return der.subarray(prefix.length);
  };
  return encodeOpensshEd25519(raw(privateKey, PKCS8_PREFIX), raw(publicKey, SPKI_PREFIX), comment, randomBytes(4).readUInt32BE(0));
}
