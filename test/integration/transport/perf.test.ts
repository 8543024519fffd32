// Integration measurement (prints numbers, asserts only correctness): the cost of the ssh transport against a real
// sshd on 127.0.0.1 — one host doing connect + 10 execs + 5 puts, and 40 hosts doing a deploy-shaped batch at once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectSsh, type SshOptions } from '../../../cli/transport/ssh.js';
import { sshdUnavailable, startSshd, type Sshd } from '../../support/sshd.js';

const unavailable = sshdUnavailable();
const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;
const cpu = (c0: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(c0);
  return `${((d.user + d.system) / 1000).toFixed(0)} ms`;
};

describe('ssh transport cost', { skip: unavailable ?? false }, () => {
  let sshd: Sshd;
  let root: string;
  let opts: SshOptions;
  before(async () => {
    sshd = await startSshd();
    root = await mkdtemp(join(tmpdir(), 'haup-perf-'));
    opts = { identityFiles: [sshd.clientKey.privatePath], knownHostsFiles: [sshd.knownHostsFile], agentSocket: null };
  });
  after(async () => {
    await sshd?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('connect, 10 execs and 5 puts on one host', async (t) => {
    const t0 = performance.now();
    const tr = await connectSsh({ host: sshd.host, port: sshd.port }, opts);
    const connected = ms(t0);
    const t1 = performance.now();
    for (let i = 0; i < 10; i++) assert.equal((await tr.exec(['echo', String(i)])).stdout, `${i}\n`);
    const execs = ms(t1);
    const t2 = performance.now();
    for (let i = 0; i < 5; i++) await tr.put(`${root}/one/f${i}`, `file ${i}\n`, { mode: 0o644 });
    const puts = ms(t2);
    assert.equal(tr.roundTrips, 15);
    await tr.close();
    t.diagnostic(`connect ${connected}, 10 execs ${execs}, 5 puts ${puts}, total ${ms(t0)}`);
  });

  test('40 hosts at once: cold push of a deploy-sized batch, then a no-op check', async (t) => {
    const agent = randomBytes(400 * 1024);
    const addon = randomBytes(16 * 1024);
    const hosts = Array.from({ length: 40 }, (_, i) => `${root}/h${i}`);
    const files = (dir: string) => [
      { path: `${dir}/opt/haup-agent.cjs`, content: agent, mode: 0o755 },
      { path: `${dir}/opt/haup_raw.node`, content: addon, mode: 0o755 },
      { path: `${dir}/etc/keepalived.conf`, content: 'vrrp_instance VI_1 {}\n'.repeat(20), mode: 0o600 },
      { path: `${dir}/etc/scripts/check_nginx.sh`, content: '#!/bin/sh\nexit 0\n', mode: 0o755 },
    ];
    // One connection per "host", all to this sshd: the machine does the work 40 lab sshds would. (A pool shares
    // one connection per user@host:port, so each host gets its own connectSsh here.)
    const cold = performance.now();
    const cpu0 = process.cpuUsage();
    const transports = await Promise.all(hosts.map((_, i) => connectSsh({ host: sshd.host, port: sshd.port, name: `h${i}` }, opts)));
    const coldConnect = ms(cold);
    assert.equal(sshd.connections(), 40);
    await Promise.all(
      transports.map(async (tr, i) => {
        const fs = files(hosts[i]!);
        await tr.statFiles(fs.map((f) => f.path));
        await tr.putFiles(fs, { backupSuffix: '.prev' });
        await tr.exec('true');
      }),
    );
    const coldTotal = ms(cold);
    const coldCpu = cpu(cpu0);
    const noop = performance.now();
    const cpu1 = process.cpuUsage();
    await Promise.all(
      transports.map(async (tr, i) => {
        const facts = await tr.statFiles(files(hosts[i]!).map((f) => f.path));
        assert.ok([...facts.values()].every((f) => f.exists));
      }),
    );
    const noopTotal = ms(noop);
    const noopCpu = cpu(cpu1);
    await Promise.all(transports.map((tr) => tr.close()));
    t.diagnostic(
      `${transports.length} connections: connect ${coldConnect}, cold (stat + put 4 files/420 KB + exec) ${coldTotal} ` +
        `(client CPU ${coldCpu}); no-op stat ${noopTotal} (client CPU ${noopCpu})`,
    );
  });
});
