// Package ssh-errors turns ssh2 failures (by err.level), host key verdicts and sudo refusals into HaupErrors (pure).
// ssh2 levels: lib/client.js sets client-dns, client-socket, client-timeout, client-authentication, agent;
// lib/protocol sets handshake and protocol; ssh-connect.ts adds jump-forward for a refused tunnel.
import { HaupError } from '../errors.js';
import { hostKeyName, keyTypeLabel, type HostKeyVerdict } from './known-hosts.js';
import type { SudoProblem } from './remote-script.js';

export interface SshErrorLike {
  message: string;
  level?: string;
  code?: string | number;
  /** ssh2 channel-open failure reason (RFC 4254 §5.1), set when a jump host could not reach the target. */
  reason?: number | string;
}

export interface Endpoint {
  host: string;
  port: number;
  user: string;
  /** "jump host j:22" when the connection is tunnelled. */
  via?: string;
  connectTimeoutMs?: number;
}

function where(e: Endpoint): string {
  return `${e.host}:${e.port}${e.via ? ` (via ${e.via})` : ''}`;
}

/** ECONNREFUSED and friends, also when a jump host reports them as a channel-open failure text. */
function socketCode(err: SshErrorLike): string | undefined {
  if (typeof err.code === 'string') return err.code;
  if (/refused/i.test(err.message)) return 'ECONNREFUSED';
  if (/no route to host|host is unreachable/i.test(err.message)) return 'EHOSTUNREACH';
  if (/network is unreachable/i.test(err.message)) return 'ENETUNREACH';
  return undefined;
}

/** A failure while connecting, from ssh2 (or our own DNS/TCP step, which sets the same levels). */
export function sshConnectError(err: SshErrorLike, e: Endpoint): HaupError {
  const at = where(e);
  const opts = { cause: err };
  switch (err.level) {
    case 'client-dns':
      return new HaupError('HAUP_SSH_DNS', `cannot resolve host name "${e.host}" (ssh to ${at})`, {
        ...opts,
        details: [err.message],
        hint: 'check the host name in the inventory (typo? missing DNS or /etc/hosts entry?) or use an IP address',
      });
    case 'client-socket': {
      const code = socketCode(err);
      if (code === 'ECONNREFUSED') {
        return new HaupError('HAUP_SSH_REFUSED', `${at} refused the SSH connection`, {
          ...opts,
          hint: `is sshd running there and listening on port ${e.port}? check the port in the inventory`,
        });
      }
      if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
        return new HaupError('HAUP_SSH_UNREACHABLE', `${at} is unreachable (${code === 'EHOSTUNREACH' ? 'no route to host' : 'network is unreachable'})`, {
          ...opts,
          hint: 'is the host up and its address right? check routes and firewalls between here and there',
        });
      }
      return new HaupError('HAUP_SSH', `connection to ${at} failed: ${err.message}`, {
        ...opts,
        hint: 'the network or the server dropped the connection; try again, or check sshd logs on the host',
      });
    }
    case 'client-timeout': {
      const secs = e.connectTimeoutMs === undefined ? '' : ` within ${e.connectTimeoutMs / 1000} s`;
      return new HaupError('HAUP_SSH_TIMEOUT', `${at} did not answer${secs} (${err.message})`, {
        ...opts,
        hint: 'the host may be down, a firewall may drop packets, or the port is not SSH; raise --connect-timeout for slow links',
      });
    }
    case 'client-authentication':
      return new HaupError('HAUP_SSH_AUTH', `authentication as ${e.user}@${at} failed`, {
        ...opts,
        details: [err.message],
        hint: `authorize one of your public keys for ${e.user} on the host (ssh-copy-id), or name the right key file; for an encrypted key set HAUP_SSH_PASSPHRASE`,
      });
    case 'jump-forward':
      return new HaupError('HAUP_SSH', `${e.via ?? 'the jump host'} refused to open a tunnel to ${e.host}:${e.port}: ${err.message}`, {
        ...opts,
        hint: 'allow TCP forwarding for this user on the jump host (AllowTcpForwarding in its sshd_config)',
      });
    case 'handshake':
      return new HaupError('HAUP_SSH', `SSH handshake with ${at} failed: ${err.message}`, {
        ...opts,
        hint: 'client and server share no key exchange, cipher or host key algorithm; check sshd_config on the host',
      });
    case 'protocol':
      return new HaupError('HAUP_SSH', `${at} broke the SSH protocol: ${err.message}`, {
        ...opts,
        hint: 'is that port really an SSH server? (sshd may also drop connections when MaxStartups is reached)',
      });
    case undefined:
    default:
      return new HaupError('HAUP_SSH', `SSH connection to ${at} failed: ${err.message}`, {
        ...opts,
        hint: 'run with --verbose for the cause; check the sshd log on the host',
      });
  }
}

/** Authentication failed: say which keys and agent were tried, and why some were skipped. */
export function authError(e: Endpoint, tried: readonly string[], notes: readonly string[]): HaupError {
  return new HaupError('HAUP_SSH_AUTH', `authentication as ${e.user}@${where(e)} failed`, {
    details: [tried.length ? `tried: ${tried.join(', ')}` : 'no key file or ssh-agent key to offer', ...notes],
    hint: `authorize one of these public keys for ${e.user} on the host (e.g. ssh-copy-id), or point --identity at the right key file`,
  });
}

/** A host key that is not trusted; `knownHostsFile` is where the user should record it. */
export function hostKeyError(verdict: Exclude<HostKeyVerdict, { kind: 'trusted' }>, e: Endpoint, knownHostsFile: string): HaupError {
  const at = where(e);
  const name = hostKeyName(e.host, e.port);
  const offered = `${keyTypeLabel(verdict.offered.type)} ${verdict.offered.fingerprint}`;
  switch (verdict.kind) {
    case 'unknown':
      return new HaupError('HAUP_SSH_HOSTKEY_UNKNOWN', `host key of ${at} is not known: ${offered}`, {
        details: [`no entry for ${name} in ${knownHostsFile}`],
        hint:
          `check the fingerprint out of band, then record it: ssh-keyscan -p ${e.port} -t ${verdict.offered.type} ${e.host} >> ${knownHostsFile}` +
          ' — or pass --trust-new-hosts to accept and record new hosts on first use',
      });
    case 'changed':
      return new HaupError('HAUP_SSH_HOSTKEY_CHANGED', `HOST KEY FOR ${at} HAS CHANGED — refusing to connect (possible man-in-the-middle)`, {
        details: [
          `offered: ${offered}`,
          ...verdict.known.map((k) => `known:   ${keyTypeLabel(k.type)} ${k.fingerprint} (${k.source}:${k.line})`),
        ],
        hint: `if the host was really reinstalled, remove the old key with: ssh-keygen -R '${name}' -f ${verdict.known[0]?.source ?? knownHostsFile} — then connect again`,
      });
    case 'revoked':
      return new HaupError('HAUP_SSH_HOSTKEY_REVOKED', `host key of ${at} is revoked: ${offered}`, {
        details: [`marked @revoked at ${verdict.entry.source}:${verdict.entry.line}`],
        hint: 'this key must not be trusted; give the host a new host key and record that one',
      });
  }
}

export function sudoError(problem: SudoProblem, e: Endpoint, command: string): HaupError {
  const at = `${e.user}@${where(e)}`;
  switch (problem) {
    case 'password-required':
      return new HaupError('HAUP_SUDO', `sudo on ${at} wants a password; haup runs sudo -n (never prompts)`, {
        details: [`command: ${command}`],
        hint: `allow ${e.user} passwordless sudo (a sudoers line "${e.user} ALL=(root) NOPASSWD: ALL"), or log in as root`,
      });
    case 'not-installed':
      return new HaupError('HAUP_SUDO', `sudo is not installed on ${at}, and ${e.user} is not root`, {
        hint: 'install sudo on the host (apt-get install sudo) and allow passwordless sudo, or log in as root',
      });
    case 'not-allowed':
      return new HaupError('HAUP_SUDO', `${e.user} may not use sudo on ${at}`, {
        details: [`command: ${command}`],
        hint: `add ${e.user} to sudoers with NOPASSWD, or log in as root`,
      });
  }
}
