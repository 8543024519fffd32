// Input: a host spec, its paths and the tool paths. Output: its init script, sshd and nginx configs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  hostInitScript,
  hostPageText,
  launcherScript,
  nginxConfig,
  parseLauncherOutput,
  shellQuote,
  sshdConfig,
  type HostSpec,
} from '../../../cli/lab/host-files.js';
import { labPaths } from '../../../cli/lab/paths.js';
import type { LabTools } from '../../../cli/lab/tools.js';

const tools: LabTools = {
  ip: '/usr/sbin/ip',
  sshd: '/usr/sbin/sshd',
  nginx: '/usr/sbin/nginx',
  unshare: '/usr/bin/unshare',
  nsenter: '/usr/bin/nsenter',
  mount: '/usr/bin/mount',
};
const spec: HostSpec = { lab: 'lab', name: 'h2', address: '10.254.0.12', prefix: 24 };
const paths = labPaths('lab').host(2);

describe('lab host files', () => {
  test('the init script makes /run, the haup dirs, /var/log and /root private before starting anything', () => {
    const lines = hostInitScript(spec, paths, tools).split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    assert.equal(lines[0], '#!/bin/sh');
    assert.ok(at(/^set -eu$/) > 0);
    const tmpfs = at(/mount -t tmpfs .* tmpfs \/run$/);
    const nginx = at(/^\/usr\/sbin\/nginx /);
    assert.ok(tmpfs > 0 && tmpfs < nginx);
    for (const target of ['/etc/haup', '/etc/keepalived', '/opt/haup', '/var/log', '/root']) {
      const i = at(new RegExp(`--bind \\S+ ${target}$`));
      assert.ok(i > tmpfs && i < nginx, `${target} is bind-mounted before nginx starts`);
    }
    assert.ok(lines.includes('/usr/bin/mount --bind /var/lib/haup/lab/lab/hosts/h2/etc-haup /etc/haup'));
    assert.ok(lines.includes('echo h2 > /proc/sys/kernel/hostname'));
    const ip = lines.indexOf("/usr/sbin/ip -batch - <<'EOF'");
    assert.deepEqual(lines.slice(ip + 1, ip + 5), ['link set lo up', 'addr add 10.254.0.12/24 dev eth0', 'link set eth0 up', 'EOF']);
    assert.ok(ip > tmpfs && ip < nginx);
  });

  test('the init script ends by exec-ing sshd so the host init pid is the sshd pid', () => {
    const lines = hostInitScript(spec, paths, tools).trimEnd().split('\n');
    assert.equal(lines.at(-1), 'exec /usr/sbin/sshd -D -e -f /var/lib/haup/lab/lab/hosts/h2/sshd_config');
  });

  test('sshd listens on the host address only, with its own key and the lab authorized_keys', () => {
    const text = sshdConfig(spec, paths, '/var/lib/haup/lab/lab/authorized_keys');
    assert.match(text, /^ListenAddress 10\.254\.0\.12:22$/m);
    assert.match(text, /^HostKey \/var\/lib\/haup\/lab\/lab\/hosts\/h2\/ssh_host_ed25519_key$/m);
    assert.match(text, /^PermitRootLogin prohibit-password$/m);
    assert.match(text, /^AuthorizedKeysFile \/var\/lib\/haup\/lab\/lab\/authorized_keys$/m);
    assert.match(text, /^UsePAM no$/m);
    assert.match(text, /^PasswordAuthentication no$/m);
    assert.match(text, /^PidFile \/run\/sshd\.pid$/m);
  });

  test('nginx keeps its pid in the host /run, logs in its /var/log, and serves the host page', () => {
    const text = nginxConfig(spec, paths, { ipv6: false });
    assert.match(text, /^pid \/run\/nginx\.pid;$/m);
    assert.match(text, /^error_log \/var\/log\/nginx\/error\.log;$/m);
    assert.match(text, /^ {4}listen 80;$/m);
    assert.doesNotMatch(text, /listen \[::\]/);
    assert.match(text, /root \/var\/lib\/haup\/lab\/lab\/hosts\/h2\/www;/);
    assert.match(nginxConfig(spec, paths, { ipv6: true }), /^ {4}listen \[::\]:80;$/m);
    assert.equal(hostPageText('h2'), 'haup lab host h2\n');
  });

  test('quotes shell words that are not plainly safe', () => {
    assert.equal(shellQuote('/usr/sbin/ip'), '/usr/sbin/ip');
    assert.equal(shellQuote('/tmp/a b'), "'/tmp/a b'");
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote('$(reboot)'), "'$(reboot)'");
  });
});

describe('lab host launcher', () => {
  const entries = [1, 2].map((i) => ({
    index: i,
    ns: `haup-lab-h${i}`,
    initScript: labPaths('lab').host(i).initScript,
    console: labPaths('lab').host(i).console,
  }));

  test('starts every host in the background without a fork in between and prints its pid', () => {
    const lines = launcherScript(entries, tools).trimEnd().split('\n');
    assert.equal(lines[0], '#!/bin/sh');
    assert.equal(
      lines[2],
      '/usr/sbin/ip netns exec haup-lab-h1 /usr/bin/unshare --mount --uts --propagation slave -- /bin/sh ' +
        '/var/lib/haup/lab/lab/hosts/h1/init.sh </dev/null >>/var/lib/haup/lab/lab/hosts/h1/console.log 2>&1 &',
    );
    assert.equal(lines[3], 'echo "1 $!"');
    assert.equal(lines[5], 'echo "2 $!"');
  });

  test('reads the launcher output back as host index to pid, ignoring noise', () => {
    assert.deepEqual(parseLauncherOutput('1 4242\n2 4243\nwarning: x\n'), new Map([[1, 4242], [2, 4243]]));
  });
});
