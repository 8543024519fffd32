// One VRRP pair of one engine on two lab hosts, and the failover trials run on it, timed from captured adverts.
import { setTimeout as sleep } from 'node:timers/promises';
import { masterDownInterval, skewTime } from '../../agent/vrrp/timers.js';
import { hostExec, type TestLab, type TestLabHost } from '../../test/support/lab.js';
import { keepalivedConf } from '../../test/support/agent.js';
import type { AdvertCapture } from './capture.js';
import type { Daemon, EngineStarter } from './engines.js';
import type { WireAdvert } from './pcap.js';
import { configLabel, type BenchConfig, type Mode, type Trial } from './report.js';

export const MASTER_PRIORITY = 150;
export const BACKUP_PRIORITY = 100;

const nowUs = () => Date.now() * 1000;

export class BenchPair {
  master: Daemon | undefined;
  backup: Daemon | undefined;
  /** When the pair last started from scratch (µs since the epoch): a --record file starts there. */
  startedUs = 0;

  constructor(
    readonly lab: TestLab,
    readonly engine: EngineStarter,
    readonly cfg: BenchConfig,
    readonly masterHost: TestLabHost,
    readonly backupHost: TestLabHost,
    readonly vrid: number,
    readonly vip: string,
    readonly capture: AdvertCapture,
  ) {}

  get intervalCs(): number {
    return Math.round(this.cfg.advertInt * 100);
  }

  /** What the backup (priority 100) waits for, by RFC and keepalived's arithmetic (agent/vrrp/timers.ts). */
  expectedMs(mode: Mode): number {
    return mode === 'kill' ? masterDownInterval(this.cfg.version, BACKUP_PRIORITY, this.intervalCs) : skewTime(this.cfg.version, BACKUP_PRIORITY, this.intervalCs);
  }

  conf(host: TestLabHost): string {
    const master = host === this.masterHost;
    return keepalivedConf({
      routerId: `${this.engine.name}-${host.name}`,
      instances: [
        {
          name: 'VI_BENCH',
          state: 'BACKUP',
          vrid: this.vrid,
          priority: master ? MASTER_PRIORITY : BACKUP_PRIORITY,
          advertInt: this.cfg.advertInt,
          version: this.cfg.version,
          ...(this.cfg.version === 2 ? { authPass: 'bench' } : {}),
          vips: [`${this.vip}/24 dev eth0`],
        },
      ],
    });
  }

  /** Writes both configs, starts both daemons and waits until the master alone advertises. */
  async start(): Promise<void> {
    for (const h of [this.masterHost, this.backupHost]) await this.engine.configure(this.lab, h, this.conf(h));
    const since = nowUs();
    this.startedUs = since;
    this.master = await this.engine.start(this.lab, this.masterHost);
    this.backup = await this.engine.start(this.lab, this.backupHost);
    await this.converged(since, 30_000);
  }

  async stop(): Promise<void> {
    for (const d of [this.master, this.backup]) await d?.stop();
    this.master = undefined;
    this.backup = undefined;
  }

  private ours(a: WireAdvert, host: TestLabHost): boolean {
    return a.vrid === this.vrid && a.src === host.address;
  }

  /**
   * Waits until the master has sent three adverts at its priority (after `sinceUs`) since the
   * backup's last advert: the backup has seen it, and its Master_Down_Timer runs. A backup that
   * flaps once (a loaded machine) only delays this, as the window starts again after its advert.
   */
  async converged(sinceUs: number, timeoutMs: number): Promise<void> {
    await this.capture.waitFor(
      () => {
        const ours = this.capture.adverts.filter((a) => a.tsUs > sinceUs && a.vrid === this.vrid);
        const lastBackup = ours.filter((a) => a.src === this.backupHost.address).at(-1)?.tsUs ?? sinceUs;
        const mine = ours.filter((a) => a.tsUs > lastBackup && a.src === this.masterHost.address && a.priority === MASTER_PRIORITY);
        return mine.length >= 3 ? true : undefined;
      },
      timeoutMs,
      `${this.engine.name} ${this.masterHost.name} to be the only master of VRID ${this.vrid}`,
    );
  }

  /** One trial: fail the master, time the takeover on the wire, then bring the master back. */
  async trial(mode: Mode, n: number): Promise<Trial> {
    const base = { engine: this.engine.name, config: configLabel(this.cfg), mode, trial: n, expectedMs: this.expectedMs(mode) };
    const master = this.master;
    if (!master) throw new Error('pair not started');
    // Fail at a random phase of the advert cycle, not always right after an advert.
    await sleep(Math.random() * this.cfg.advertInt * 1000);
    const failAt = nowUs();
    const limitMs = this.expectedMs('kill') + 10_000;
    let fromUs: number;
    let takeover: WireAdvert;
    if (mode === 'kill') {
      await master.kill();
      takeover = await this.firstFromBackup(failAt, limitMs);
      const last = this.capture.adverts.filter((a) => this.ours(a, this.masterHost) && a.tsUs < takeover.tsUs).at(-1);
      if (!last) throw new Error('no advert of the old master captured before the takeover');
      fromUs = last.tsUs;
      // A killed daemon leaves its VIP behind (keepalived's too): clear it before the master returns.
      await hostExec(this.lab, this.masterHost, ['ip', 'addr', 'del', `${this.vip}/24`, 'dev', 'eth0']);
    } else {
      const stopped = master.stop();
      const zero = await this.capture.waitFor(
        () => this.capture.adverts.find((a) => a.tsUs > failAt && this.ours(a, this.masterHost) && a.priority === 0),
        limitMs,
        `the priority-0 advert of ${this.engine.name} on ${this.masterHost.name}`,
      );
      fromUs = zero.tsUs;
      takeover = await this.firstFromBackup(zero.tsUs, limitMs);
      await stopped;
    }
    const takeoverMs = (takeover.tsUs - fromUs) / 1000;
    const restartAt = nowUs();
    this.master = await this.engine.start(this.lab, this.masterHost);
    await this.converged(restartAt, this.expectedMs('kill') + 30_000);
    return { ...base, takeoverMs, lateMs: takeoverMs - base.expectedMs };
  }

  /** The last lines of both daemons' logs, for a failed trial's report. */
  logTail(lines = 15): string {
    return [this.master, this.backup]
      .flatMap((d) => (d ? [`--- ${d.engine} on ${d.host.name}:`, ...d.log().split('\n').slice(-lines)] : []))
      .join('\n');
  }

  /** After a failed trial: both daemons killed and started afresh (`beforeStart` runs in between). */
  async reset(beforeStart: () => void = () => undefined): Promise<void> {
    for (const d of [this.master, this.backup]) await d?.kill().catch(() => undefined);
    for (const h of [this.masterHost, this.backupHost]) await hostExec(this.lab, h, ['ip', 'addr', 'del', `${this.vip}/24`, 'dev', 'eth0']);
    beforeStart();
    await this.start();
  }

  private firstFromBackup(afterUs: number, timeoutMs: number): Promise<WireAdvert> {
    return this.capture.waitFor(
      () => this.capture.adverts.find((a) => a.tsUs > afterUs && this.ours(a, this.backupHost) && a.priority === BACKUP_PRIORITY),
      timeoutMs,
      `the first advert of ${this.engine.name} on ${this.backupHost.name} as master`,
    );
  }
}
