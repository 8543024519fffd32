// Input: putFiles over an in-memory SFTP server that, like sftp-server, answers a session's requests in order, and
// answers everything sent so far at once. Output: the files it ends with, and how many round trips ("waves") the
// client waited for: the count that matters on a real network, where each one is a full RTT.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SFTPWrapper } from 'ssh2';
import { SftpFiles } from '../../../cli/transport/sftp-files.js';

type Cb = (err: (Error & { code?: number }) | null | undefined, value?: unknown) => void;

const NO_SUCH_FILE = 2;
const FAILURE = 4;
const fail = (code: number, message: string) => Object.assign(new Error(message), { code });

/** A file system behind SFTP requests, answered in waves: each wave answers every request queued before it. */
class FakeSftp {
  readonly files = new Map<string, { data: Buffer; mode: number; uid?: number }>();
  readonly dirs = new Set<string>(['/']);
  readonly log: string[] = [];
  waves = 0;
  /** Make this operation fail with this code (op name + first path). */
  failing = new Map<string, number>();
  private queue: (() => void)[] = [];
  private readonly handles = new Map<string, { path: string; data: Buffer; mode: number; uid?: number }>();

  private req(name: string, path: string, fn: () => unknown, cb: Cb): void {
    this.log.push(`${name} ${path}`);
    this.queue.push(() => {
      const code = this.failing.get(`${name} ${path}`);
      if (code !== undefined) return cb(fail(code, `${name} ${path} refused`));
      try {
        cb(null, fn());
      } catch (err) {
        cb(err as Error);
      }
    });
    if (this.queue.length === 1) {
      setImmediate(() => {
        this.waves += 1;
        const q = this.queue;
        this.queue = [];
        for (const answer of q) answer();
      });
    }
  }
  private parent(path: string): string {
    return path.slice(0, path.lastIndexOf('/')) || '/';
  }
  stat(path: string, cb: Cb) {
    this.req('stat', path, () => {
      if (!this.dirs.has(path) && !this.files.has(path)) throw fail(NO_SUCH_FILE, 'no such file');
      return {};
    }, cb);
  }
  mkdir(path: string, _attrs: unknown, cb: Cb) {
    this.req('mkdir', path, () => {
      if (!this.dirs.has(this.parent(path))) throw fail(NO_SUCH_FILE, 'no such file');
      this.dirs.add(path);
    }, cb);
  }
  open(path: string, _flags: string, _attrs: unknown, cb: Cb) {
    this.req('open', path, () => {
      if (!this.dirs.has(this.parent(path))) throw fail(NO_SUCH_FILE, 'no such file');
      const h = `h${this.handles.size}`;
      this.handles.set(h, { path, data: Buffer.alloc(0), mode: 0o600 });
      this.files.set(path, { data: Buffer.alloc(0), mode: 0o600 });
      return Buffer.from(h);
    }, cb);
  }
  private handle(h: Buffer) {
    const f = this.handles.get(h.toString());
    if (!f) throw fail(FAILURE, 'bad handle');
    return f;
  }
  write(h: Buffer, data: Buffer, off: number, len: number, pos: number, cb: Cb) {
    this.req('write', this.handles.get(h.toString())?.path ?? '?', () => {
      const f = this.handle(h);
      const next = Buffer.alloc(Math.max(f.data.length, pos + len));
      f.data.copy(next);
      data.copy(next, pos, off, off + len);
      f.data = next;
    }, cb);
  }
  fchmod(h: Buffer, mode: number, cb: Cb) {
    this.req('fchmod', this.handles.get(h.toString())?.path ?? '?', () => void (this.handle(h).mode = mode), cb);
  }
  fchown(h: Buffer, uid: number, _gid: number, cb: Cb) {
    this.req('fchown', this.handles.get(h.toString())?.path ?? '?', () => void (this.handle(h).uid = uid), cb);
  }
  ext_openssh_fsync(h: Buffer, cb: Cb) {
    this.req('fsync', this.handles.get(h.toString())?.path ?? '?', () => undefined, cb);
  }
  close(h: Buffer, cb: Cb) {
    this.req('close', this.handles.get(h.toString())?.path ?? '?', () => {
      const f = this.handle(h);
      this.files.set(f.path, { data: f.data, mode: f.mode, ...(f.uid === undefined ? {} : { uid: f.uid }) });
      this.handles.delete(h.toString());
    }, cb);
  }
  unlink(path: string, cb: Cb) {
    this.req('unlink', path, () => {
      if (!this.files.delete(path)) throw fail(NO_SUCH_FILE, 'no such file');
    }, cb);
  }
  ext_openssh_hardlink(from: string, to: string, cb: Cb) {
    this.req('link', from, () => {
      const f = this.files.get(from);
      if (!f) throw fail(NO_SUCH_FILE, 'no such file');
      if (this.files.has(to)) throw fail(FAILURE, 'exists');
      this.files.set(to, { ...f });
    }, cb);
  }
  ext_openssh_rename(from: string, to: string, cb: Cb) {
    this.req('rename', from, () => {
      const f = this.files.get(from);
      if (!f) throw fail(NO_SUCH_FILE, 'no such file');
      this.files.delete(from);
      this.files.set(to, f);
    }, cb);
  }
}

function setup() {
  const server = new FakeSftp();
  server.dirs.add('/etc');
  server.dirs.add('/etc/haup');
  return { server, files: new SftpFiles(server as unknown as SFTPWrapper) };
}

const text = (server: FakeSftp, path: string) => server.files.get(path)?.data.toString();
const temps = (server: FakeSftp) => [...server.files.keys()].filter((p) => p.includes('.haup-new.'));

describe('SFTP file writes', () => {
  test('a first write of several files (one over 100 KiB) takes 5 round trips: stat, open, write..close, backup link, rename', async () => {
    const { server, files } = setup();
    const big = Buffer.alloc(150 * 1024, 7);
    await files.putFiles(
      [
        { path: '/etc/haup/keepalived.conf', data: Buffer.from('conf\n'), mode: 0o600, uid: 0, gid: 0 },
        { path: '/etc/haup/haup-agent.cjs', data: big, mode: 0o755, uid: 0, gid: 0 },
      ],
      '.haup-prev',
    );
    assert.equal(server.waves, 5, 'the backup links find nothing to keep (was 9: every step its own round trip)');
    assert.equal(text(server, '/etc/haup/keepalived.conf'), 'conf\n');
    assert.deepEqual(server.files.get('/etc/haup/haup-agent.cjs')?.data, big);
    assert.deepEqual([server.files.get('/etc/haup/keepalived.conf')?.mode, server.files.get('/etc/haup/haup-agent.cjs')?.mode], [0o600, 0o755]);
    assert.deepEqual(temps(server), []);
    assert.equal(server.files.has('/etc/haup/keepalived.conf.haup-prev'), false, 'nothing was there to keep');

    const again = server.waves;
    await files.putFiles([{ path: '/etc/haup/keepalived.conf', data: Buffer.from('conf 2\n'), mode: 0o600 }]);
    assert.equal(server.waves - again, 3, 'the session remembers the directory: open, write..close, rename');
  });

  test('a replaced file keeps its previous version (unlink and link in one round trip, then the rename)', async () => {
    const { server, files } = setup();
    await files.putFiles([{ path: '/etc/haup/a.conf', data: Buffer.from('v1\n'), mode: 0o600 }], '.prev');
    await files.putFiles([{ path: '/etc/haup/a.conf', data: Buffer.from('v2\n'), mode: 0o600 }], '.prev');
    const before = server.waves;
    await files.putFiles([{ path: '/etc/haup/a.conf', data: Buffer.from('v3\n'), mode: 0o600 }], '.prev');
    assert.equal(server.waves - before, 4);
    assert.equal(text(server, '/etc/haup/a.conf'), 'v3\n');
    assert.equal(text(server, '/etc/haup/a.conf.prev'), 'v2\n');
  });

  test('a file whose backup cannot be made is not replaced, and no temp file is left', async () => {
    const { server, files } = setup();
    await files.putFiles([{ path: '/etc/haup/a.conf', data: Buffer.from('v1\n'), mode: 0o600 }], '.prev');
    server.failing.set('link /etc/haup/a.conf', FAILURE);
    await assert.rejects(files.putFiles([{ path: '/etc/haup/a.conf', data: Buffer.from('v2\n'), mode: 0o600 }], '.prev'), /link \/etc\/haup\/a.conf refused/);
    assert.equal(text(server, '/etc/haup/a.conf'), 'v1\n');
    assert.ok(!server.log.some((l, i) => l.startsWith('rename') && i > server.log.lastIndexOf('link /etc/haup/a.conf')), 'no rename after the failed link');
    assert.deepEqual(temps(server), []);
  });

  test('a failed write still closes the handle, replaces nothing and removes the temp file', async () => {
    const { server, files } = setup();
    await files.putFiles([{ path: '/etc/haup/a.conf', data: Buffer.from('v1\n'), mode: 0o600 }]);
    const tmpWrites = () => server.log.filter((l) => l.startsWith('write /etc/haup/.haup-new.'));
    const original = server.write.bind(server);
    server.write = (h, data, off, len, pos, cb) => original(h, data, off, len, pos, (err, v) => (pos === 0 ? cb(fail(FAILURE, 'disk full')) : cb(err, v)));
    await assert.rejects(files.putFiles([{ path: '/etc/haup/a.conf', data: Buffer.from('v2\n'), mode: 0o600 }]), /disk full/);
    assert.equal(tmpWrites().length, 2);
    assert.equal(server.log.at(-2)?.startsWith('close /etc/haup/.haup-new.'), true, 'closed after the failed write');
    assert.equal(text(server, '/etc/haup/a.conf'), 'v1\n');
    assert.deepEqual(temps(server), []);
  });

  test('a directory removed since the session made it is made again', async () => {
    const { server, files } = setup();
    await files.putFiles([{ path: '/opt/haup/agent.cjs', data: Buffer.from('x'), mode: 0o755 }]);
    server.dirs.delete('/opt/haup');
    server.dirs.delete('/opt');
    for (const p of [...server.files.keys()]) if (p.startsWith('/opt/')) server.files.delete(p);
    await files.putFiles([{ path: '/opt/haup/agent.cjs', data: Buffer.from('y'), mode: 0o755 }]);
    assert.equal(text(server, '/opt/haup/agent.cjs'), 'y');
  });
});
