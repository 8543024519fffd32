// Ending processes a test started but does not hold a handle to (daemons such as the SSH keeper).
import { readFileSync } from 'node:fs';
import { terminate } from '../../cli/lab/proc.js';

/**
 * SIGTERM, then SIGKILL, to the pids whose command line still names `marker` (a directory only this test uses),
 * so that a pid the kernel has since given to another process is never signalled. A process that exits on its
 * own meanwhile counts as ended; nothing here throws for it, so the caller's cleanup goes on.
 */
export async function stopOwn(pids: Iterable<number>, marker: string): Promise<number[]> {
  const own = [...pids].filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
    } catch {
      return false; // already gone
    }
  });
  return terminate(own, { graceMs: 5000 });
}
