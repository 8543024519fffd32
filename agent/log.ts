// The agent's log: one line per event on stdout, journald-friendly (syslog priority prefix, no timestamp, under systemd).
import { writeSync } from 'node:fs';

export type LogLevel = 'error' | 'warn' | 'info';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** sd-daemon(3) priority prefixes: journald reads them and strips them (SyslogLevelPrefix=yes). */
const SYSLOG_PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6 };
const WORD: Record<LogLevel, string> = { error: 'error: ', warn: 'warning: ', info: '' };

export interface LogFormat {
  /** Under journald: `<6>message`; journald adds its own timestamp. */
  journald: boolean;
}

/**
 * One log line (with its newline). Outside journald it starts with an ISO timestamp with
 * milliseconds, so a log file alone shows how long a takeover took. Embedded newlines are flattened:
 * a line is an event.
 */
export function formatLogLine(level: LogLevel, message: string, format: LogFormat, at: Date): string {
  const text = `${WORD[level]}${message.replace(/\r?\n/g, ' | ')}`;
  return format.journald ? `<${SYSLOG_PRIORITY[level]}>${text}\n` : `${at.toISOString()} ${text}\n`;
}

/** systemd sets JOURNAL_STREAM when stdout is connected to the journal (systemd.exec(5)). */
export function logFormatFromEnv(env: NodeJS.ProcessEnv): LogFormat {
  return { journald: typeof env.JOURNAL_STREAM === 'string' && env.JOURNAL_STREAM !== '' };
}

/** Set once a write to fd 1 met a full non-blocking pipe: from then on every line queues behind it, in order. */
let queued = false;

/**
 * One line to file descriptor 1 with write(2), as process.stdout does for files and pipes on Linux (synchronously,
 * so lines are never lost at exit), without loading Node's streams for it (~2 ms of every agent start). A
 * non-blocking stdout that is full (EAGAIN) hands the rest, and every later line, to process.stdout, which queues.
 */
export function writeStdout(line: string): void {
  if (queued) {
    process.stdout.write(line);
    return;
  }
  let buf = Buffer.from(line);
  try {
    while (buf.length > 0) buf = buf.subarray(writeSync(1, buf));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    queued = true;
    process.stdout.write(buf);
  }
}

/** A logger writing to `write` (default: writeStdout). */
export function createLogger(
  write: (line: string) => void = writeStdout,
  format: LogFormat = logFormatFromEnv(process.env),
  now: () => Date = () => new Date(),
): Logger {
  const emit = (level: LogLevel) => (message: string) => {
    try {
      write(formatLogLine(level, message, format, now()));
    } catch {
      // stdout closed (EPIPE): the agent must keep running without its log
    }
  };
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}
