// Pure analysis of a haup backup's --record file against the captured adverts: where a takeover's lateness goes.
//
// Lateness = receive + timer + send:
//   receive: the old master's last advert (or its priority-0 advert) on the wire -> the agent stepping it;
//   timer:   the agent's Master_Down_Timer (or Skew_Time) event after the deadline that advert set;
//   send:    that timer event -> the new master's first advert on the wire.
// The record's clock (performance.now() in the agent) is mapped to the capture's by the smallest
// (record time - wire time) over every advert both saw, so receive is measured above the quickest
// delivery seen and send includes it.
import { masterDownInterval, skewTime } from '../../agent/vrrp/timers.js';
import type { WireAdvert } from './pcap.js';

interface RecordLine {
  t: number;
  event: { type: string; src?: string; priority?: number; intervalCs?: number };
}

export interface Takeover {
  kind: 'kill' | 'stop';
  receiveMs: number;
  timerMs: number;
  sendMs: number;
}

export interface Breakdown {
  takeovers: Takeover[];
  /** Why no breakdown could be made (the record and the capture do not pair up). */
  problem?: string;
}

function parseLines(jsonl: string): RecordLine[] {
  const out: RecordLine[] = [];
  for (const text of jsonl.split('\n')) {
    if (!text.trim()) continue;
    try {
      out.push(JSON.parse(text) as RecordLine);
    } catch {
      // a line cut by the agent's exit
    }
  }
  return out;
}

/**
 * Splits each takeover of the backup at `backup` (priority `priority`) into receive, timer and send.
 * `wire` holds the captured adverts of this VRID only.
 */
export function takeoverBreakdown(jsonl: string, wire: readonly WireAdvert[], opts: { master: string; backup: string; version: 2 | 3; priority: number }): Breakdown {
  const lines = parseLines(jsonl);
  const heard = lines.filter((l) => l.event.type === 'advert' && l.event.src === opts.master);
  const sent = wire.filter((a) => a.src === opts.master);
  if (heard.length !== sent.length || heard.length === 0) {
    return { takeovers: [], problem: `the agent stepped ${heard.length} adverts of ${opts.master}, the capture has ${sent.length}` };
  }
  const offsetMs = Math.min(...heard.map((l, i) => l.t - (sent[i] as WireAdvert).tsUs / 1000));
  const takeovers: Takeover[] = [];
  let last: { line: RecordLine; wire: WireAdvert } | undefined;
  let k = 0;
  for (const line of lines) {
    if (line.event.type === 'advert' && line.event.src === opts.master) {
      last = { line, wire: sent[k++] as WireAdvert };
      continue;
    }
    if (line.event.type !== 'master-down-timer' || !last) continue;
    const zero = last.line.event.priority === 0;
    const cs = last.line.event.intervalCs ?? 100;
    const expected = zero ? skewTime(opts.version, opts.priority, cs) : masterDownInterval(opts.version, opts.priority, cs);
    const firedWireMs = line.t - offsetMs;
    const from = last.wire.tsUs;
    const first = wire.find((a) => a.src === opts.backup && a.tsUs > from);
    if (first) {
      takeovers.push({
        kind: zero ? 'stop' : 'kill',
        receiveMs: last.line.t - offsetMs - last.wire.tsUs / 1000,
        timerMs: line.t - last.line.t - expected,
        sendMs: first.tsUs / 1000 - firedWireMs,
      });
    }
    last = undefined;
  }
  return { takeovers };
}
