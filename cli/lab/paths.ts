// Where a lab's files live under its state dir (pure: paths only, nothing is touched here).
import { join } from 'node:path';
import { LAB_STATE_ROOT, hostName } from './names.js';

/**
 * A host's private directories, bind-mounted over these paths inside the host (issue 2). /root too:
 * a host starts with Debian's stock root dotfiles, not the workstation's (whose .bashrc may be slow,
 * and bash sources it for every ssh command).
 */
export const PRIVATE_MOUNTS: readonly { readonly target: string; readonly source: string }[] = [
  { target: '/etc/haup', source: 'etc-haup' },
  { target: '/etc/keepalived', source: 'etc-keepalived' },
  { target: '/opt/haup', source: 'opt-haup' },
  { target: '/var/log', source: 'var-log' },
  { target: '/root', source: 'root-home' },
];

/** Debian's stock root dotfiles (package base-files), copied into each host's private /root. */
export const ROOT_DOTFILES: readonly { readonly from: string; readonly to: string }[] = [
  { from: '/usr/share/base-files/dot.bashrc', to: '.bashrc' },
  { from: '/usr/share/base-files/dot.profile', to: '.profile' },
];

export interface HostPaths {
  readonly dir: string;
  readonly initScript: string;
  readonly sshdConfig: string;
  readonly hostKey: string;
  readonly nginxConfig: string;
  readonly www: string;
  /** stdout/stderr of the host's init and its sshd (-e logs there). */
  readonly console: string;
  readonly mountSource: (source: string) => string;
}

export interface LabPaths {
  readonly stateDir: string;
  readonly state: string;
  readonly key: string;
  readonly authorizedKeys: string;
  readonly knownHosts: string;
  readonly inventory: string;
  /** The script that starts every host in the background (kept for inspection). */
  readonly launcher: string;
  readonly host: (index: number) => HostPaths;
}

export function labPaths(lab: string, root: string = LAB_STATE_ROOT): LabPaths {
  const stateDir = join(root, lab);
  return {
    stateDir,
    state: join(stateDir, 'state.json'),
    key: join(stateDir, 'id_ed25519'),
    authorizedKeys: join(stateDir, 'authorized_keys'),
    knownHosts: join(stateDir, 'known_hosts'),
    inventory: join(stateDir, 'inventory.yml'),
    launcher: join(stateDir, 'launch-hosts.sh'),
    host: (index) => {
      const dir = join(stateDir, 'hosts', hostName(index));
      return {
        dir,
        initScript: join(dir, 'init.sh'),
        sshdConfig: join(dir, 'sshd_config'),
        hostKey: join(dir, 'ssh_host_ed25519_key'),
        nginxConfig: join(dir, 'nginx.conf'),
        www: join(dir, 'www'),
        console: join(dir, 'console.log'),
        mountSource: (source) => join(dir, source),
      };
    },
  };
}
