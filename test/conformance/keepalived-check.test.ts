// Input: configs with the mistakes keepalived warns about, checked by the real `keepalived -t` (2.2.7) and by parseConfig.
// Output: for every case keepalived prints its message and we report the same problem; a config keepalived accepts gets no error from us.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../agent/config/check.js';

const inst = (body: string, name = 'VI_1', vrid = 51) => `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n${body}\n}\n`;
const vip = (a = '10.9.0.100') => ` virtual_ipaddress {\n  ${a}\n }`;
const SECURE = 'global_defs {\n enable_script_security\n script_user root\n}\n';

/** [name, config, what keepalived -t prints, what we must report (null: nothing at all)] */
const CASES: [string, string, RegExp | null, RegExp | null][] = [
  ['accepted', `${SECURE}vrrp_script chk {\n script /bin/true\n interval 3\n}\n${inst(` state BACKUP\n priority 100\n advert_int 1\n nopreempt\n authentication {\n  auth_type PASS\n  auth_pass 1111\n }\n${vip()}\n track_script {\n  chk\n }`)}`, null, null],
  ['nopreempt-owner', inst(` state MASTER\n nopreempt\n${vip()}`), /nopreempt is incompatible with priority 255\. resetting nopreempt/, /nopreempt is incompatible with priority 255/],
  ['nopreempt-master', inst(` state MASTER\n priority 100\n nopreempt\n${vip()}`), /nopreempt will not work with initial state MASTER - clearing/, /nopreempt does not work with state MASTER/],
  ['auth-pass-long', inst(` authentication {\n  auth_type PASS\n  auth_pass 123456789012\n }\n${vip()}`), /Truncating auth_pass to 8 characters/, /auth_pass is longer than 8 characters/],
  ['v3-auth', inst(` version 3\n authentication {\n  auth_type PASS\n  auth_pass 1111\n }\n${vip()}`), /VRRP version 3 does not support authentication/, /VRRP version 3 does not support authentication/],
  ['duplicate-vrid', inst(vip()) + inst(vip('10.9.0.101'), 'VI_2'), /VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0/, /VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0/],
  ['v2-fractional-advert', inst(` advert_int 1.5\n${vip()}`), /advertisement interval 1\.500000s must be an integer\. rounding/, /advert_int 1\.5s must be whole seconds — rounded to 2s/],
  ['v3-advert-too-long', inst(` version 3\n advert_int 50\n${vip()}`), /Must be less than 40\.96s\. Setting to 40\.95s/, /more than 40\.95s — using 40\.95s/],
  ['no-vip', inst(''), /No VIP specified; at least one is sensible/, /has no virtual_ipaddress; at least one is sensible/],
  ['priority-range', inst(` priority 300\n${vip()}`), /Priority not valid! must be between 1 & 255/, /priority: 300 is outside 1\.\.255/],
  ['unknown-keyword', inst(` bogus_kw 3\n${vip()}`), /Unknown keyword 'bogus_kw'/, /unknown keyword 'bogus_kw'/],
  ['track-script-missing', inst(`${vip()}\n track_script {\n  chk_gone\n }`), /track script chk_gone not found/, /track_script chk_gone is not defined/],
  ['script-weight-range', `vrrp_script s {\n script /bin/true\n weight 300\n}\n${inst(vip())}`, /weight 300 must be in \[-253, 253\]/, /weight: 300 is outside -253\.\.253/],
  ['sync-group-single', `${inst(vip())}vrrp_sync_group G {\n group {\n  VI_1\n }\n}\n`, /Sync group G has only 1 virtual router\(s\) - this probably isn't what you want/, /vrrp_sync_group G has only 1 virtual router/],
  ['script-security', `vrrp_script chk {\n script /bin/true\n}\n${inst(`${vip()}\n track_script {\n  chk\n }`)}`, /SECURITY VIOLATION - scripts are being executed but script_security not enabled/, /enable_script_security is not set/],
];

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root: keepalived -t runs in a throwaway network namespace (unshare -n)';
  for (const bin of ['keepalived', 'unshare', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `needs ${bin} (apt-get install keepalived util-linux iproute2)`;
  }
  return undefined;
}

test("keepalived -t and parseConfig agree on keepalived's warnings", (t) => {
  const why = missing();
  if (why) {
    t.skip(why);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'haup-kt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of CASES) writeFileSync(join(dir, `${name}.conf`), text);
  // One namespace for all cases: eth0 exists (a veth), so keepalived checks only what we care about.
  const script = `ip link add eth0 type veth peer name eth1 && ip link set eth0 up && ip addr add 10.9.0.1/24 dev eth0 || exit 9
for f in "$1"/*.conf; do echo "=== $(basename "$f" .conf)"; keepalived -t -f "$f" 2>&1; echo "rc=$?"; done`;
  const r = spawnSync('unshare', ['-n', 'sh', '-c', script, 'sh', dir], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `unshare/keepalived failed: ${r.stderr}`);
  const outputs = new Map<string, string>();
  for (const chunk of r.stdout.split('=== ').slice(1)) {
    const nl = chunk.indexOf('\n');
    outputs.set(chunk.slice(0, nl), chunk.slice(nl + 1));
  }
  for (const [name, text, theirs, ours] of CASES) {
    const out = outputs.get(name) ?? '';
    const mine = parseConfig(text, join(dir, `${name}.conf`), () => '').diagnostics.map((d) => d.message);
    if (theirs === null) {
      assert.match(out, /^rc=0$/m, `${name}: keepalived should accept it:\n${out}`);
      assert.deepEqual(mine, [], `${name}: we should accept it too`);
      continue;
    }
    assert.match(out, theirs, `${name}: keepalived -t output:\n${out}`);
    assert.ok(mine.some((m) => ours?.test(m)), `${name}: expected ${ours} in:\n${mine.join('\n')}`);
  }
});
