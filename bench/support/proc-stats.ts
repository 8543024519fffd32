// RSS and CPU time of running processes from /proc, for the bench's idle-cost numbers.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcSample {
  /** VmRSS in KiB (resident now) and VmHWM (peak resident). */
  rssKb: number;
  hwmKb: number;
  /** utime + stime in clock ticks. */
  cpuTicks: number;
}

/** utime + stime (fields 14 and 15) of a /proc/PID/stat line; the command name may hold spaces and parentheses. */
export function cpuTicksOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  return Number(fields[11]) + Number(fields[12]);
}

/** A "Key:   123 kB" line of /proc/PID/status, in KiB. */
export function statusKb(status: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}

export function sampleProcess(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssKb: statusKb(status, 'VmRSS'), hwmKb: statusKb(status, 'VmHWM'), cpuTicks: cpuTicksOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8')) };
}

let ticks: number | undefined;
/** Clock ticks per second (getconf CLK_TCK; 100 on every Linux we know). */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** CPU % of one core over a window: ticks used / ticks elapsed. */
export function cpuPercent(ticksUsed: number, windowMs: number, ticksPerSecond = clockTicks()): number {
  return (ticksUsed / ticksPerSecond / (windowMs / 1000)) * 100;
}
