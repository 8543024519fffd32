// Script security (keepalived's enable_script_security): decides, from file metadata, whether a script
// may run as root. Pure: the runner gathers the stats.

export interface PathStat {
  path: string;
  uid: number;
  mode: number; // st_mode permission bits (and type bits, ignored)
  isDirectory: boolean;
}

const GROUP_WRITE = 0o020;
const OTHER_WRITE = 0o002;
const STICKY = 0o1000;

/**
 * keepalived refuses a script when a non-root user could change what runs: the file, or any directory on
 * its path, is not owned by root or is group/other writable (a sticky directory such as /tmp still lets
 * others replace files they own, so only the file's own owner matters there).
 * Returns one human-readable problem per offending path, empty when the script is safe.
 */
export function scriptSecurityProblems(chain: readonly PathStat[]): string[] {
  const problems: string[] = [];
  for (const st of chain) {
    const kind = st.isDirectory ? 'directory' : 'file';
    if (st.uid !== 0) problems.push(`${kind} ${st.path} is owned by uid ${st.uid}, not root`);
    const writable = st.mode & (GROUP_WRITE | OTHER_WRITE);
    if (writable && !(st.isDirectory && st.mode & STICKY)) {
      const who = [st.mode & GROUP_WRITE ? 'group' : '', st.mode & OTHER_WRITE ? 'others' : ''].filter(Boolean).join(' and ');
      problems.push(`${kind} ${st.path} is writable by ${who} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}); run chmod go-w ${st.path}`);
    }
  }
  return problems;
}

/** The directories from / down to the file, then the file itself: /, /etc, /etc/haup, /etc/haup/x.sh. */
export function pathChain(file: string): string[] {
  const parts = file.split('/').filter(Boolean);
  const chain = ['/'];
  for (let i = 1; i <= parts.length; i++) chain.push(`/${parts.slice(0, i).join('/')}`);
  return chain;
}
