// Progress of concurrent jobs (a deploy's pair groups): listr2 on a terminal, plain prefixed lines otherwise, and
// listr2's test renderer for UI tests. The jobs never throw: each reports ok/summary, and failed ones are marked.
import type { ListrTask } from 'listr2';

export interface JobOutcome {
  ok: boolean;
  /** One line for the finished job, e.g. "h2 reloaded, h1 unchanged". */
  summary: string;
}

export interface Job {
  title: string;
  run: (log: (line: string) => void) => Promise<JobOutcome>;
}

export type ProgressMode = 'tty' | 'plain' | 'silent' | 'test';

export interface ProgressOptions {
  mode: ProgressMode;
  concurrency: number;
  /** Where plain lines (and the test renderer's output) go. */
  out: NodeJS.WritableStream;
}

/** Runs `jobs`, at most `concurrency` at a time, showing progress the way `mode` says. */
export async function runJobs(jobs: readonly Job[], opts: ProgressOptions): Promise<JobOutcome[]> {
  if (opts.mode === 'plain' || opts.mode === 'silent') {
    const write = opts.mode === 'plain' ? (line: string) => opts.out.write(`${line}\n`) : () => undefined;
    return mapLimit(jobs, opts.concurrency, async (job) => {
      write(`[${job.title}] started`);
      const outcome = await job.run((line) => write(`[${job.title}] ${line}`));
      write(`[${job.title}] ${outcome.ok ? 'ok' : 'FAILED'}: ${outcome.summary}`);
      return outcome;
    });
  }
  // listr2 only loads when it draws: plain and JSON runs (CI) skip its start-up cost.
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  const outcomes: JobOutcome[] = new Array<JobOutcome>(jobs.length);
  const tasks: ListrTask[] = jobs.map((job, i) => ({
    title: job.title,
    task: async (_ctx, task) => {
      const outcome = await job.run((line) => {
        task.output = line;
      });
      outcomes[i] = outcome;
      task.title = `${job.title}: ${outcome.summary}`;
      if (!outcome.ok) throw new Error(outcome.summary);
    },
  }));
  const common = { concurrent: Math.max(1, opts.concurrency), exitOnError: false, registerSignalListeners: false } as const;
  const listr =
    opts.mode === 'test'
      ? new Listr(tasks, {
          ...common,
          renderer: 'test',
          rendererOptions: { logger: new ListrLogger({ processOutput: new ProcessOutput(opts.out as NodeJS.WriteStream, opts.out as NodeJS.WriteStream) }), task: ['title'], title: true, output: true },
        })
      : new Listr(tasks, { ...common, renderer: 'default', rendererOptions: { collapseErrors: false, showErrorMessage: true } });
  await listr.run();
  return outcomes;
}

/** Promise.all with at most `limit` running at once, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** A counting semaphore: at most `n` holders at once, the others wait in order. */
export class Semaphore {
  private readonly waiting: Array<() => void> = [];
  constructor(private free: number) {}

  async take(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}
