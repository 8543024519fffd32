// Captures every VRRP advert on a lab's bridge with dumpcap, with kernel timestamps, for the failover bench.
import { spawn, type ChildProcess } from 'node:child_process';
import { advertOfFrame, PcapReader, type WireAdvert } from './pcap.js';

export class AdvertCapture {
  /** Every advert seen so far, in capture order. */
  readonly adverts: WireAdvert[] = [];
  private readonly child: ChildProcess;
  private readonly stderr: string[] = [];
  private failure: Error | undefined;
  private waiters: (() => void)[] = [];

  private constructor(dumpcap: string, ifname: string) {
    // -P: classic pcap (simple to stream); -f: only VRRP, so the pipe carries nothing else; -q: no counts on stderr.
    this.child = spawn(dumpcap, ['-q', '-i', ifname, '-f', 'ip proto 112 or ip6 proto 112', '-P', '-w', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const reader = new PcapReader();
    this.child.stdout?.on('data', (chunk: Buffer) => {
      try {
        for (const f of reader.push(chunk)) {
          const a = advertOfFrame(f);
          if (a) this.adverts.push(a);
        }
      } catch (err) {
        this.failure = err as Error;
      }
      this.wake();
    });
    this.child.stderr?.on('data', (b: Buffer) => this.stderr.push(b.toString('utf8')));
    this.child.on('exit', (code, signal) => {
      this.failure ??= new Error(`dumpcap exited (${signal ?? code}): ${this.stderr.join('').trim()}`);
      this.wake();
    });
  }

  /** Starts dumpcap on `ifname` and waits until it captures (it prints "Capturing on ..." once the socket is open). */
  static async start(dumpcap: string, ifname: string, timeoutMs = 15_000): Promise<AdvertCapture> {
    const c = new AdvertCapture(dumpcap, ifname);
    const ok = await c.waitFor(() => (c.stderr.join('').includes('Capturing on') ? true : undefined), timeoutMs, `dumpcap to start on ${ifname}`);
    if (!ok) throw new Error(`dumpcap did not start on ${ifname}`);
    return c;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Resolves with check()'s first defined result, re-checked as adverts arrive (and every 50 ms);
   * rejects after timeoutMs or when dumpcap fails.
   */
  waitFor<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        clearInterval(tick);
        this.waiters = this.waiters.filter((w) => w !== poll);
        fn();
      };
      const poll = () => {
        if (this.failure) return done(() => reject(this.failure));
        let v: T | undefined;
        try {
          v = check();
        } catch (err) {
          return done(() => reject(err as Error));
        }
        if (v !== undefined) done(() => resolve(v as T));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))), timeoutMs);
      const tick = setInterval(poll, 50);
      this.waiters.push(poll);
      poll();
    });
  }

  /** Stops dumpcap and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
