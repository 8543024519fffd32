// Test support: a real OpenSSH sshd on 127.0.0.1 (free port, temp host key, temp authorized key for root, temp dir),
// ready when it sends its SSH banner, stopped by its recorded pid. Modelled on ssh2's test-integration-openssh.js.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isRunning, terminate } from '../../cli/lab/proc.js';

const run = promisify(execFile);
export const SSHD = '/usr/sbin/sshd';

/** Why a real-sshd test cannot run here, or null when it can. */
export function sshdUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root: sshd must run as root to log in as root';
  if (!existsSync(SSHD)) return `needs ${SSHD}: apt-get install openssh-server`;
  if (!existsSync('/usr/bin/ssh-keygen')) return 'needs ssh-keygen: apt-get install openssh-client';
  return null;
}

export interface KeyPair {
  privatePath: string;
  /** "ssh-ed25519 AAAA... comment" */
  publicLine: string;
  /** The raw public key blob (what ssh2's hostVerifier sees). */
  blob: Buffer;
}

export async function generateKey(dir: string, name: string, opts: { type?: 'ed25519' | 'ecdsa' | 'rsa'; passphrase?: string } = {}): Promise<KeyPair> {
  const privatePath = join(dir, name);
  const type = opts.type ?? 'ed25519';
  // -a 1: one bcrypt KDF round for passphrase keys (default 16 costs ~1.5 s per parse in ssh2's JS bcrypt).
  const kdf = opts.passphrase ? ['-a', '1'] : [];
  await run('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), ...kdf, '-N', opts.passphrase ?? '', '-C', `haup-test-${name}`, '-f', privatePath]);
  const publicLine = (await readFile(`${privatePath}.pub`, 'utf8')).trim();
  return { privatePath, publicLine, blob: Buffer.from(publicLine.split(/\s+/)[1] ?? '', 'base64') };
}

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  pid: number;
  dir: string;
  /** The first host key (the one in knownHostsLine). */
  hostKey: KeyPair;
  /** Every host key, in hostKeyTypes order. */
  hostKeys: KeyPair[];
  /** A key authorized for root. */
  clientKey: KeyPair;
  /** A known_hosts file holding exactly this server's host key. */
  knownHostsFile: string;
  /** known_hosts line for this server ("[127.0.0.1]:port ssh-ed25519 AAAA..."). */
  knownHostsLine: string;
  log(): string;
  /** Open SSH connections right now (sshd forks one child per connection). */
  connections(): number;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Host key types (default ['ed25519']); sshd offers all of them. */
  hostKeyTypes?: ReadonlyArray<'ed25519' | 'ecdsa' | 'rsa'>;
  /** Extra sshd_config lines; they take precedence over the defaults. */
  config?: readonly string[];
  /** Reuse a client key (e.g. to authorize the same key on a jump host and a target). */
  clientKey?: KeyPair;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves when the port answers with an SSH banner; polls, never sleeps a fixed time. */
async function waitForBanner(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('sshd exited');
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.setTimeout(500, () => done(false));
      s.once('data', (d) => done(d.toString('latin1').startsWith('SSH-2.0-')));
      s.once('error', () => done(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`sshd did not answer on port ${port} within ${timeoutMs} ms`);
}

/** Per-connection sshd processes forked by the listener we started (found by their recorded parent pid). */
function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) kids.push(Number(entry));
    } catch {
      // raced with the process exiting
    }
  }
  return kids;
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const dir = await mkdtemp(join(tmpdir(), 'haup-sshd-'));
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const hostKeys = await Promise.all((opts.hostKeyTypes ?? ['ed25519']).map((type) => generateKey(dir, `host_key_${type}`, { type })));
  const hostKey = hostKeys[0]!;
  const clientKey = opts.clientKey ?? (await generateKey(dir, 'client_key'));
  await writeFile(join(dir, 'authorized_keys'), `${clientKey.publicLine}\n`, { mode: 0o600 });

  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const configPath = join(dir, 'sshd_config');
    await writeFile(
      configPath,
      [
        // sshd takes the first value of a keyword, so extra lines go first and override the defaults below.
        ...(opts.config ?? []),
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        ...hostKeys.map((k) => `HostKey ${k.privatePath}`),
        'PidFile none',
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'AllowTcpForwarding yes',
        'MaxStartups 100',
        'LogLevel ERROR',
        'Subsystem sftp internal-sftp',
        // Debian's bash sources ~/.bashrc for ssh commands when SHLVL < 2; this workstation's root .bashrc runs
        // `pyenv init` (~1.5 s per command). A test server should cost what a stock server costs.
        'SetEnv SHLVL=1',
        '',
      ].join('\n'),
    );
    const child = spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const pid = child.pid;
    if (pid === undefined) throw new Error('could not spawn sshd');
    try {
      await waitForBanner(port, child, 5000);
    } catch (err) {
      child.kill('SIGKILL');
      if (/Address already in use/.test(log) && attempt < 5) continue;
      await rm(dir, { recursive: true, force: true });
      throw new Error(`sshd failed to start: ${(err as Error).message}\n${log}`);
    }
    const knownHostsLine = `[127.0.0.1]:${port} ${hostKey.publicLine.split(/\s+/).slice(0, 2).join(' ')}`;
    const knownHostsFile = join(dir, 'known_hosts');
    await writeFile(knownHostsFile, `${knownHostsLine}\n`);
    return {
      host: '127.0.0.1',
      port,
      pid,
      dir,
      hostKey,
      hostKeys,
      clientKey,
      knownHostsFile,
      knownHostsLine,
      log: () => log,
      connections: () => childrenOf(pid).filter(isRunning).length,
      // A connection's process may exit between being listed and being signalled (a client that just closed):
      // terminate() takes that as done rather than failing the caller's after() hook with ESRCH, which left
      // this listener and its stderr pipe alive and so the whole test file waiting for ever.
      stop: async () => {
        const left = await terminate([...childrenOf(pid), pid], { graceMs: 3000 });
        await rm(dir, { recursive: true, force: true });
        if (left.length > 0) throw new Error(`sshd processes ${left.join(', ')} survived SIGKILL`);
      },
    };
  }
}
