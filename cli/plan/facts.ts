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
  ipPresent: boolean;
  interfaces: string[];
  initSystem: 'systemd' | 'none';
  /** Managed files: null when missing on the host. */
  files: Map<string, RemoteFile | null>;
  agentPid: number | null;
  agentState: string | null; // raw JSON text of the state file, parsed by whoever needs it
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A POSIX sh script printing one fact per line; paths are quoted, never interpolated raw. */
export function factsScript(paths: readonly string[], opts: { stateFile: string; pidFile: string }): string {
  const files = paths.map((p) => `f ${q(p)}`).join('\n');
  return `set +e
echo "uid=$(id -u)"
if [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; then echo sudo=1; else echo sudo=0; fi
if command -v node >/dev/null 2>&1; then echo "node=$(node --version 2>/dev/null)"; else echo node=; fi
if command -v ip >/dev/null 2>&1; then echo ip=1; echo "ifaces=$(ls /sys/class/net | tr '\\n' ' ')"; else echo ip=0; echo ifaces=; fi
echo "init=$(cat /proc/1/comm 2>/dev/null)"
f() { if [ -f "$1" ]; then echo "file $(sha256sum < "$1" | cut -d' ' -f1) $(stat -c '%a %u' "$1") $1"; else echo "nofile $1"; fi; }
${files}
p=$(cat ${q(opts.pidFile)} 2>/dev/null)
if [ -n "$p" ] && [ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then echo "agentpid=$p"; else echo agentpid=; fi
echo "state-begin"
cat ${q(opts.stateFile)} 2>/dev/null
echo
echo "state-end"
`;
}

export function parseFacts(out: string): HostFacts {
  const facts: HostFacts = {
    uid: -1,
    sudoOk: false,
    nodeVersion: null,
    ipPresent: false,
    interfaces: [],
    initSystem: 'none',
    files: new Map(),
    agentPid: null,
    agentState: null,
  };
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === 'state-begin') {
      const end = lines.indexOf('state-end', i + 1);
      const text = lines.slice(i + 1, end < 0 ? undefined : end).join('\n').trim();
      facts.agentState = text === '' ? null : text;
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
    }
  }
  return facts;
}

/** Node major version from "v18.19.0"; null when absent or unparsable. */
export function nodeMajor(version: string | null): number | null {
  const m = version === null ? null : /^v(\d+)\./.exec(version);
  return m ? Number(m[1]) : null;
}
