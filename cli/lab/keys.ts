// SSH key pairs for the lab (its login key and each host's host key), made in-process with ssh2.
import ssh2 from 'ssh2';

export interface SshKeyPair {
  /** OpenSSH private key file text ("-----BEGIN OPENSSH PRIVATE KEY-----"), no passphrase. */
  readonly privateKey: string;
  /** "ssh-ed25519 AAAA... comment". */
  readonly publicKey: string;
}

/** Ed25519, as `ssh-keygen -t ed25519 -N ''` makes it; ~1 ms instead of a process per key. */
export function generateEd25519(comment: string): SshKeyPair {
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
  return { privateKey: pair.private, publicKey: pair.public.trim() };
}
