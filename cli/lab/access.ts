// How a user reaches the lab's hosts: the known_hosts file for strict host-key checking.

export interface AccessHost {
  readonly name: string;
  readonly address: string;
  /** The host's public key line as ssh-keygen wrote it: "ssh-ed25519 AAAA... comment". */
  readonly hostKeyPub: string;
}

/** OpenSSH known_hosts: "address keytype base64" per host, so StrictHostKeyChecking=yes works. */
export function knownHostsText(hosts: readonly AccessHost[]): string {
  return hosts
    .map((h) => {
      const [type, key] = h.hostKeyPub.trim().split(/\s+/);
      if (!type || !key) throw new Error(`host key of ${h.name} is not "type base64": ${h.hostKeyPub}`);
      return `${h.address} ${type} ${key}\n`;
    })
    .join('');
}
