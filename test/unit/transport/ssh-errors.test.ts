// Unit tests for the pure ssh error formatters: one per ssh2 err.level, host key verdicts, auth and sudo.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HaupError } from '../../../cli/errors.js';
import { authError, hostKeyError, sshConnectError, sudoError, type Endpoint } from '../../../cli/transport/ssh-errors.js';
import { parseKnownHosts } from '../../../cli/transport/known-hosts.js';

const at: Endpoint = { host: 'web1', port: 2222, user: 'deploy', connectTimeoutMs: 10_000 };

function text(e: HaupError): string {
  return [e.message, ...e.details, e.hint ?? ''].join('\n');
}

describe('ssh2 errors by level', () => {
  test('client-dns names the host and suggests checking the inventory name', () => {
    const e = sshConnectError({ message: 'getaddrinfo ENOTFOUND web1', level: 'client-dns', code: 'ENOTFOUND' }, at);
    assert.equal(e.code, 'HAUP_SSH_DNS');
    assert.match(e.message, /cannot resolve host name "web1" \(ssh to web1:2222\)/);
    assert.match(e.hint ?? '', /host name in the inventory/);
  });

  test('client-socket with ECONNREFUSED says the port refused and asks whether sshd listens there', () => {
    const e = sshConnectError({ message: 'connect ECONNREFUSED 10.0.0.1:2222', level: 'client-socket', code: 'ECONNREFUSED' }, at);
    assert.equal(e.code, 'HAUP_SSH_REFUSED');
    assert.equal(e.message, 'web1:2222 refused the SSH connection');
    assert.match(e.hint ?? '', /listening on port 2222/);
  });

  test('client-socket with EHOSTUNREACH says the host is unreachable', () => {
    const e = sshConnectError({ message: 'connect EHOSTUNREACH', level: 'client-socket', code: 'EHOSTUNREACH' }, at);
    assert.equal(e.code, 'HAUP_SSH_UNREACHABLE');
    assert.match(e.message, /web1:2222 is unreachable \(no route to host\)/);
  });

  test('client-socket with another code keeps the system message', () => {
    const e = sshConnectError({ message: 'read ECONNRESET', level: 'client-socket', code: 'ECONNRESET' }, at);
    assert.equal(e.code, 'HAUP_SSH');
    assert.match(e.message, /connection to web1:2222 failed: read ECONNRESET/);
  });

  test('client-timeout gives the budget and how to raise it', () => {
    const e = sshConnectError({ message: 'Timed out while waiting for handshake', level: 'client-timeout' }, at);
    assert.equal(e.code, 'HAUP_SSH_TIMEOUT');
    assert.match(e.message, /web1:2222 did not answer within 10 s/);
    assert.match(e.hint ?? '', /--connect-timeout/);
  });

  test('client-authentication names user and host', () => {
    const e = sshConnectError({ message: 'All configured authentication methods failed', level: 'client-authentication' }, at);
    assert.equal(e.code, 'HAUP_SSH_AUTH');
    assert.match(e.message, /authentication as deploy@web1:2222 failed/);
    assert.match(e.hint ?? '', /HAUP_SSH_PASSPHRASE/);
  });

  test('handshake points at algorithm mismatch', () => {
    const e = sshConnectError({ message: 'Handshake failed: no matching key exchange algorithm', level: 'handshake' }, at);
    assert.equal(e.code, 'HAUP_SSH');
    assert.match(e.message, /SSH handshake with web1:2222 failed: Handshake failed: no matching key exchange/);
    assert.match(e.hint ?? '', /sshd_config/);
  });

  test('protocol asks whether the port is really SSH', () => {
    const e = sshConnectError({ message: 'Connection lost before handshake', level: 'protocol' }, at);
    assert.match(e.hint ?? '', /really an SSH server/);
  });

  test('jump-forward explains that the jump host forbids forwarding', () => {
    const e = sshConnectError({ message: '(SSH) Channel open failure: administratively prohibited', level: 'jump-forward', reason: 1 }, { ...at, via: 'jump host j:22' });
    assert.match(e.message, /jump host j:22 refused to open a tunnel to web1:2222/);
    assert.match(e.hint ?? '', /AllowTcpForwarding/);
  });

  test('an error without a level still names the endpoint and the route through a jump host', () => {
    const e = sshConnectError({ message: 'Unexpected disconnection', code: 2 }, { ...at, via: 'jump host j:22' });
    assert.equal(e.code, 'HAUP_SSH');
    assert.match(e.message, /web1:2222 \(via jump host j:22\)/);
  });

  test('a refused tunnel reported as text by the jump host maps to refused', () => {
    const e = sshConnectError({ message: '(SSH) Channel open failure: Connection refused', level: 'client-socket', reason: 2 }, { ...at, via: 'jump host j:22' });
    assert.equal(e.code, 'HAUP_SSH_REFUSED');
  });
});

describe('host key errors', () => {
  const KEY_A = 'AAAAC3NzaC1lZDI1NTE5AAAAIGd6VqrO+Bnvf+94mr1a2cCYVzbJMPAx4FXXNojvphBl';
  const offered = { type: 'ssh-ed25519', fingerprint: 'SHA256:+OMnlItVsS8gfx09p0ecRJSGXG9lsFbKOCX7hGH7C1w' };

  test('unknown shows the fingerprint and both ways to trust it', () => {
    const e = hostKeyError({ kind: 'unknown', offered }, at, '/root/.ssh/known_hosts');
    assert.equal(e.code, 'HAUP_SSH_HOSTKEY_UNKNOWN');
    assert.match(e.message, /ED25519 SHA256:\+OMnlItVsS8gfx09p0ecRJSGXG9lsFbKOCX7hGH7C1w/);
    assert.match(e.hint ?? '', /ssh-keyscan -p 2222 -t ssh-ed25519 web1 >> \/root\/.ssh\/known_hosts/);
    assert.match(e.hint ?? '', /--trust-new-hosts/);
  });

  test('changed is loud and shows the offered and the recorded fingerprint with its line', () => {
    const known = [{ type: 'ssh-ed25519', fingerprint: 'SHA256:yEFmt8fNTZybPEscxCVCJadhEFZicE0XB+5DoPoojFY', source: '/kh', line: 7 }];
    const e = hostKeyError({ kind: 'changed', offered, known }, at, '/kh');
    assert.equal(e.code, 'HAUP_SSH_HOSTKEY_CHANGED');
    assert.match(e.message, /HOST KEY FOR web1:2222 HAS CHANGED — refusing to connect/);
    assert.deepEqual(e.details, [
      'offered: ED25519 SHA256:+OMnlItVsS8gfx09p0ecRJSGXG9lsFbKOCX7hGH7C1w',
      'known:   ED25519 SHA256:yEFmt8fNTZybPEscxCVCJadhEFZicE0XB+5DoPoojFY (/kh:7)',
    ]);
    assert.match(e.hint ?? '', /ssh-keygen -R '\[web1\]:2222' -f \/kh/);
  });

  test('revoked points at the @revoked line', () => {
    const entry = parseKnownHosts(`@revoked * ssh-ed25519 ${KEY_A}\n`, '/kh').entries[0]!;
    const e = hostKeyError({ kind: 'revoked', offered, entry }, at, '/kh');
    assert.equal(e.code, 'HAUP_SSH_HOSTKEY_REVOKED');
    assert.deepEqual(e.details, ['marked @revoked at /kh:1']);
  });
});

describe('authentication and sudo errors', () => {
  test('authentication lists what was tried and why keys were skipped', () => {
    const e = authError(at, ['key /k/id_ed25519 (ssh-ed25519)', 'ssh-agent (/run/agent.sock)'], ['/k/id_rsa: encrypted key and HAUP_SSH_PASSPHRASE is not set']);
    assert.equal(e.code, 'HAUP_SSH_AUTH');
    assert.deepEqual(e.details, [
      'tried: key /k/id_ed25519 (ssh-ed25519), ssh-agent (/run/agent.sock)',
      '/k/id_rsa: encrypted key and HAUP_SSH_PASSPHRASE is not set',
    ]);
  });

  test('authentication with nothing to offer says so', () => {
    assert.deepEqual(authError(at, [], []).details, ['no key file or ssh-agent key to offer']);
  });

  test('a sudo password prompt becomes an error that says how to allow passwordless sudo', () => {
    const e = sudoError('password-required', at, 'systemctl restart haup-agent');
    assert.equal(e.code, 'HAUP_SUDO');
    assert.match(text(e), /wants a password; haup runs sudo -n/);
    assert.match(text(e), /deploy ALL=\(root\) NOPASSWD: ALL/);
  });

  test('missing sudo and a user outside sudoers get their own messages', () => {
    assert.match(sudoError('not-installed', at, 'x').message, /sudo is not installed on deploy@web1:2222/);
    assert.match(sudoError('not-allowed', at, 'x').message, /deploy may not use sudo/);
  });
});
