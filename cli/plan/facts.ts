// Remote facts for a deploy: one shell script gathers everything in a single round trip, and a pure
// parser turns its output into values (STYLE.md §2: remote output is parsed purely).

export interface RemoteFile {
  sha256: string;
  mode: number;
  uid: number;
}

export interface HostFacts {
  uid: number;
  sudoOk: boolean;
  nodeVersion: string | null; // "v18.19.0"
  /** Absolute path of `node` on the host's PATH (the agent is started with it), or null. */
  nodePath: string | null;
  /** Absolute path of `keepalived`, or null when it is not installed. */
  keepalivedPath: string | null;
  /** Absolute path of `bash`, or null: deploy's wait loops run under it to sleep without forking. */
  bashPath: string | null;
  ipPresent: boolean;
  interfaces: string[];
  /** systemd only when it manages the host (sd_booted(3): /run/systemd/system exists), else 'none'. */
  initSystem: 'systemd' | 'none';
  /** Raw `ip -j addr show` output (parse with verify/facts.ts parseIpAddr), or null. */
  addresses: string | null;
  /** Managed files: null when missing on the host. */
  files: Map<string, RemoteFile | null>;
  agentPid: number | null;
  agentState: string | null; // raw JSON text of the state file, parsed by whoever needs it
  /** A live daemon of the other engine (keepalived next to the haup agent, or the reverse), from its pidfile. */
  rivalPid: number | null;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A POSIX sh script printing one fact per line; paths are quoted, never interpolated raw. It forks as little as
 * possible (builtins read /proc; one sha256sum and one stat for all files; node only for its version): on a
 * loaded host every process costs tens of milliseconds, and facts are the whole of a no-op deploy. A command
 * substitution runs its program with `exec`: bash 5.2 forks twice for `$(cmd 2>/dev/null)` (a redirection turns
 * off its shortcut of running the last command of a subshell in the subshell's own process).
 */
/**
 * Node's path and version without a process when possible: the path from a walk over $PATH (what `command -v` finds,
 * without the fork of a command substitution), the version from the node_version.h that official tarballs and the
 * NodeSource and Debian packages install next to bin/node (PREFIX/include/node, read with builtins). Without a
 * header, the version is cached in /run/haup/node-version under the binary's size and mtime (one stat), and node is
 * started only on a cache miss: starting node just to ask costs more than all the other facts (~160 ms of CPU).
 */
const nodeFact = (cache: string) => `np=; oifs=$IFS; IFS=:; set -f
for d in $PATH; do if [ -n "$d" ] && [ -f "$d/node" ] && [ -x "$d/node" ]; then np=$d/node; break; fi; done
IFS=$oifs; set +f
if [ -n "$np" ]; then
  cv=; case "$np" in */bin/node) h="\${np%/bin/node}/include/node/node_version.h" ;; *) h= ;; esac
  if [ -n "$h" ] && [ ! -L "$np" ] && [ -r "$h" ]; then ma=; mi=; pa=; while read -r d n v rest; do case "$d $n" in '#define NODE_MAJOR_VERSION') ma=$v ;; '#define NODE_MINOR_VERSION') mi=$v ;; '#define NODE_PATCH_VERSION') pa=$v; break ;; esac; done < "$h"; case "$ma.$mi.$pa" in *[!0-9.]*|.*|*..*|*.) ;; *) cv="v$ma.$mi.$pa" ;; esac; fi
  if [ -z "$cv" ]; then
    key=$(exec stat -L -c '%s %Y' "$np" 2>/dev/null); cs=; cm=; { read -r cs cm cv < ${q(cache)}; } 2>/dev/null
    if [ -z "$key" ] || [ "$cs $cm" != "$key" ]; then cv=$(exec "$np" --version 2>/dev/null); if [ -n "$key" ] && [ -n "$cv" ]; then mkdir -p ${q(cache.slice(0, cache.lastIndexOf('/')) || '/')} 2>/dev/null && echo "$key $cv" > ${q(cache)} 2>/dev/null; fi; fi
  fi
  echo "node=$cv"
  echo "nodepath=$np"
else echo node=; fi
`;

export const NODE_VERSION_CACHE = '/run/haup/node-version';

/** Where the facts keep the files' SHA-256 between runs (see filesFact). */
export const HASH_CACHE = '/run/haup/file-hashes';

/**
 * SHA-256, mode and owner of the deployed files. One `stat` reads mode, owner, size, mtime, ctime and inode of
 * all of them, plus a clock file this script has just truncated (its mtime is "now", without a process). A file
 * whose stat matches its line in the hash cache (/run/haup, written by the last run) is not read again: it
 * prints `file SHA MODE UID PATH`; only the others go through `sha256sum`. Any write or chmod changes the
 * ctime (which nothing but the kernel sets), a rename the inode. As git does with its index, a hash is cached
 * only for a file last changed before the clock file's time (nanoseconds, as the kernel stamps files: in practice
 * its clock tick, a few ms), so a change later in that same tick cannot hide behind an equal ctime; a file system
 * that stamps whole seconds makes that a second. Under bash only (haup's remote shell), and with parameter expansions
 * rather than `read` loops: `read` takes a byte per system call from a pipe, and those cost more than the hash.
 * Under sh, or without the run directory (a first deploy), every file is hashed, as before.
 */
function filesFact(list: string, cache: string): string {
  const dir = cache.slice(0, cache.lastIndexOf('/')) || '/';
  // The cache file is bash: a function `hit` with one case arm per file (printf %q quotes each key), sourced
  // with `.`. fld splits a stat line into fields in a function's own positional parameters.
  return `set --
for f in ${list}; do if [ -f "$f" ]; then set -- "$@" "$f"; else echo "nofile $f"; fi; done
HC=${q(cache)}; HK=${q(`${cache}.now`)}
if [ $# -gt 0 ] && [ -n "\${BASH_VERSION:-}" ] && [ -d ${q(dir)} ] && { : > "$HK"; } 2>/dev/null && st=$(exec stat -c '%a %u %s %.9Y %.9Z %i %n' -- "$@" "$HK" 2>/dev/null); then
  NL='
'
  hit() { h=; }; . "$HC" 2>/dev/null
  fld() { a=$1; u=$2; c=$5; k="$1 $2 $3 $4 $5 $6"; p=\${l#"$k "}; }
  set --; ms=; mk=; nc=; now=; oifs=$IFS; set -f; IFS=$NL
  for l in $st; do
    IFS=$oifs; fld $l
    if [ "$p" = "$HK" ]; then now=\${k#* * * }; now=\${now%% *}; continue; fi
    hit "$k $p"
    case "$h" in *[!0-9a-f]*) h= ;; esac
    if [ \${#h} = 64 ]; then echo "file $h $a $u $p"; printf -v e '%q) h=%s ;;' "$k $p" "$h"; nc="$nc$e$NL"
    else set -- "$@" "$p"; ms="$ms$a $u $p$NL"; mk="$mk$l$NL"; fi
  done
  IFS=$oifs; set +f
  if [ $# -gt 0 ]; then
    hs=$(sha256sum -- "$@"); echo hash-begin; printf '%s\\n' "$hs"; echo hash-end; echo stat-begin; printf '%s' "$ms"; echo stat-end
    set -f; IFS=$NL
    for x in $hs; do
      IFS=$NL
      for l in $mk; do
        IFS=$oifs; fld $l
        if [ "$x" = "\${x%% *}  $p" ] && [ -n "$now" ] && [ "\${c/./}" -lt "\${now/./}" ] 2>/dev/null; then printf -v e '%q) h=%s ;;' "$k $p" "\${x%% *}"; nc="$nc$e$NL"; fi
      done
    done
    IFS=$oifs; set +f
    umask 077; { printf 'hit() { case "$1" in\\n%s*) h= ;; esac; }\\n' "$nc" > "$HC"; } 2>/dev/null
    if [ -n "\${__haup_umask-}" ]; then umask "$__haup_umask"; fi
  fi
elif [ $# -gt 0 ]; then echo hash-begin; sha256sum -- "$@"; echo hash-end; echo stat-begin; stat -c '%a %u %n' -- "$@"; echo stat-end; fi
`;
}

/**
 * Every variable the facts script sets. Run in place by the remote shell (remote-shell.ts: no fork for it, ~10 ms
 * of CPU less per host on a loaded machine), the script declares them local, so nothing of it outlives the run;
 * test/unit/plan/facts-inplace.test.ts fails when a variable is missing here.
 */
const FACT_VARS = 'HC HK NL a c cm cs cv d e f h hs i k key l ma mi mk ms n nc now np oifs p pa r rest s st u v x';

export function factsScript(
  paths: readonly string[],
  opts: { stateFile: string | null; pidFile: string; rivalPidFile?: string; addresses?: boolean; node?: boolean; nodeCache?: string; hashCache?: string },
): string {
  const list = paths.map(q).join(' ');
  // In place (the remote shell's function for it sets __haup_inplace): locals, and the helper functions go at the end.
  return `set +e
if [ -n "\${__haup_inplace-}" ]; then local IFS="$IFS" ${FACT_VARS}; fi
u=; while read -r k v rest; do if [ "$k" = Uid: ]; then u=$v; break; fi; done < /proc/self/status
echo "uid=$u"
if [ "$u" = 0 ] || sudo -n true 2>/dev/null; then echo sudo=1; else echo sudo=0; fi
${opts.node === false ? '' : nodeFact(opts.nodeCache ?? NODE_VERSION_CACHE)}printf 'keepalived='; command -v keepalived 2>/dev/null || echo
printf 'bash='; command -v bash 2>/dev/null || echo
if command -v ip >/dev/null 2>&1; then echo ip=1; printf 'ifaces='; for i in /sys/class/net/*; do [ -e "$i" ] && printf '%s ' "\${i##*/}"; done; echo; else echo ip=0; echo ifaces=; fi
if [ -d /run/systemd/system ]; then echo init=systemd; else c=; { read -r c < /proc/1/comm; } 2>/dev/null; echo "init=$c"; fi
${filesFact(list, opts.hashCache ?? HASH_CACHE)}p=; { read -r p < ${q(opts.pidFile)}; } 2>/dev/null
s=; if [ -n "$p" ]; then { read -r s < "/proc/$p/stat"; } 2>/dev/null; fi
case "$s" in ''|*") Z "*|*") X "*) echo agentpid= ;; *) echo "agentpid=$p" ;; esac
${opts.rivalPidFile === undefined ? '' : `r=; { read -r r < ${q(opts.rivalPidFile)}; } 2>/dev/null
s=; if [ -n "$r" ] && [ "$r" != "$p" ]; then { read -r s < "/proc/$r/stat"; } 2>/dev/null; fi
case "$s" in ''|*") Z "*|*") X "*) ;; *) echo "rivalpid=$r" ;; esac
`}echo "state-begin"
${opts.stateFile === null ? '' : `if [ -r ${q(opts.stateFile)} ]; then while IFS= read -r l || [ -n "$l" ]; do printf '%s\n' "$l"; done < ${q(opts.stateFile)}; fi
`}echo "state-end"
${opts.addresses === false ? '' : `echo "addr-begin"
ip -j addr show 2>/dev/null
echo
echo "addr-end"
`}if [ -n "\${__haup_inplace-}" ]; then unset -f hit fld; fi
`;
}

export function parseFacts(out: string): HostFacts {
  const facts: HostFacts = {
    uid: -1,
    sudoOk: false,
    nodeVersion: null,
    nodePath: null,
    keepalivedPath: null,
    bashPath: null,
    ipPresent: false,
    interfaces: [],
    initSystem: 'none',
    addresses: null,
    files: new Map(),
    agentPid: null,
    agentState: null,
    rivalPid: null,
  };
  const lines = out.split('\n');
  const hashes = new Map<string, string>();
  const stats = new Map<string, { mode: number; uid: number }>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === 'hash-begin' || line === 'stat-begin') {
      const end = lines.indexOf(line === 'hash-begin' ? 'hash-end' : 'stat-end', i + 1);
      for (const l of lines.slice(i + 1, end < 0 ? undefined : end)) {
        const h = line === 'hash-begin' ? /^([0-9a-f]{64}) [ *](.+)$/.exec(l) : null;
        const st = line === 'stat-begin' ? /^([0-7]+) (\d+) (.+)$/.exec(l) : null;
        if (h) hashes.set(h[2] as string, h[1] as string);
        if (st) stats.set(st[3] as string, { mode: parseInt(st[1] as string, 8), uid: Number(st[2]) });
      }
      i = end < 0 ? lines.length : end;
      continue;
    }
    if (line === 'state-begin' || line === 'addr-begin') {
      const endMark = line === 'state-begin' ? 'state-end' : 'addr-end';
      const end = lines.indexOf(endMark, i + 1);
      const text = lines.slice(i + 1, end < 0 ? undefined : end).join('\n').trim();
      if (line === 'state-begin') facts.agentState = text === '' ? null : text;
      else facts.addresses = text === '' ? null : text;
      i = end < 0 ? lines.length : end;
      continue;
    }
    const m = /^file ([0-9a-f]{64}) ([0-7]+) (\d+) (.+)$/.exec(line);
    if (m) {
      facts.files.set(m[4] as string, { sha256: m[1] as string, mode: parseInt(m[2] as string, 8), uid: Number(m[3]) });
      continue;
    }
    if (line.startsWith('nofile ')) {
      facts.files.set(line.slice(7), null);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const val = line.slice(eq + 1).trim();
    switch (key) {
      case 'uid':
        facts.uid = Number(val);
        break;
      case 'sudo':
        facts.sudoOk = val === '1';
        break;
      case 'node':
        facts.nodeVersion = /^v\d+\.\d+\.\d+/.test(val) ? val : null;
        break;
      case 'nodepath':
        facts.nodePath = val.startsWith('/') ? val : null;
        break;
      case 'keepalived':
        facts.keepalivedPath = val.startsWith('/') ? val : null;
        break;
      case 'bash':
        facts.bashPath = val.startsWith('/') ? val : null;
        break;
      case 'ip':
        facts.ipPresent = val === '1';
        break;
      case 'ifaces':
        facts.interfaces = val.split(/\s+/).filter(Boolean);
        break;
      case 'init':
        facts.initSystem = val === 'systemd' ? 'systemd' : 'none';
        break;
      case 'agentpid':
        facts.agentPid = /^\d+$/.test(val) ? Number(val) : null;
        break;
      case 'rivalpid':
        facts.rivalPid = /^\d+$/.test(val) ? Number(val) : null;
        break;
    }
  }
  for (const [path, sha] of hashes) {
    const st = stats.get(path);
    if (st) facts.files.set(path, { sha256: sha, mode: st.mode, uid: st.uid });
  }
  return facts;
}

/** Node major version from "v18.19.0"; null when absent or unparsable. */
export function nodeMajor(version: string | null): number | null {
  const m = version === null ? null : /^v(\d+)\./.exec(version);
  return m ? Number(m[1]) : null;
}
