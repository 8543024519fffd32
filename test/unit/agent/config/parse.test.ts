// Input: keepalived.conf text (the seed, a file using every supported keyword, broken snippets). Output: the typed config and file:line diagnostics.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from '../../../../agent/config/parse.js';
import { fsReader, loadConfig } from '../../../../agent/config/load.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/config/${name}`, import.meta.url));
const noIncludes = (p: string): string => {
  throw new Error(`unexpected include of ${p}`);
};
const parseText = (text: string) => parse(text, '/etc/haup/keepalived.conf', noIncludes);
const messages = (text: string) => parseText(text).diagnostics.map((d) => `${d.line}: ${d.severity}: ${d.message}`);

describe('the seed config', () => {
  test('parses unchanged into the expected instance; the only remark is keepalived\'s script-security warning', () => {
    const r = loadConfig(fixture('seed.conf'));
    assert.deepEqual(r.diagnostics.map((d) => `${d.line}: ${d.severity}`), ['20: warning']);
    assert.match(r.diagnostics[0]?.message ?? '', /enable_script_security is not set/);
    assert.deepEqual(r.config.scripts.map(({ name, script, interval, timeout, weight, rise, fall }) => ({ name, script, interval, timeout, weight, rise, fall })), [
      { name: 'chk_nginx', script: '/etc/haup/scripts/check_nginx.sh', interval: 3, timeout: 3, weight: 0, rise: 1, fall: 1 },
    ]);
    const [vi] = r.config.instances;
    assert.ok(vi);
    assert.equal(vi.name, 'VI_1');
    assert.equal(vi.state, 'BACKUP');
    assert.equal(vi.interface, 'eth0');
    assert.equal(vi.vrid, 254);
    assert.equal(vi.priority, 100);
    assert.equal(vi.advertInt, 1);
    assert.equal(vi.version, 2);
    assert.equal(vi.nopreempt, true);
    assert.deepEqual(vi.authentication, { type: 'PASS', pass: '1111' });
    assert.deepEqual(vi.vips.map(({ address, prefix, dev, label }) => ({ address, prefix, dev, label })), [{ address: '192.168.0.174', prefix: 32, dev: 'eth0', label: 'eth0:0' }]);
    assert.deepEqual(vi.trackScripts.map(({ script, weight }) => ({ script, weight })), [{ script: 'chk_nginx', weight: 0 }]);
    assert.deepEqual(vi.garp, { masterDelay: 5, masterRepeat: 5, masterRefresh: 0, masterRefreshRepeat: 1 });
    assert.equal(vi.line, 5);
  });
});

describe('every supported keyword (parse only: check() would apply keepalived\'s fix-ups)', () => {
  const r = parse(readFileSync(fixture('full.conf'), 'utf8'), fixture('full.conf'), fsReader);
  test('parses without diagnostics', () => assert.deepEqual(r.diagnostics, []));
  const web = r.config.instances.find((i) => i.name === 'VI_WEB');
  const v6 = r.config.instances.find((i) => i.name === 'VI_V6');

  test('global_defs are read', () => {
    assert.deepEqual(r.config.globalDefs, {
      routerId: 'lb1', enableScriptSecurity: true, scriptUser: { user: 'root', group: 'root' }, vrrpVersion: 3,
      garpMasterDelay: 2, garpMasterRepeat: 3, garpMasterRefresh: 60, garpMasterRefreshRepeat: 2, startupDelay: 1.5,
    });
  });

  test('vrrp_scripts come from the globbed include, relative to the including file', () => {
    const http = r.config.scripts.find((s) => s.name === 'chk_http');
    assert.deepEqual(
      http && { script: http.script, interval: http.interval, timeout: http.timeout, weight: http.weight, rise: http.rise, fall: http.fall, user: http.user },
      { script: '/usr/bin/curl -fsS http://127.0.0.1/', interval: 2, timeout: 1, weight: -10, rise: 2, fall: 3, user: { user: 'nobody', group: 'nogroup' } },
    );
    assert.ok(http?.file.endsWith('conf.d/10-http.conf'));
    assert.equal(r.config.scripts.find((s) => s.name === 'chk_tcp')?.initFail, true);
  });

  test('vrrp_instance keywords, with the brace on the next line', () => {
    assert.ok(web);
    assert.equal(web.state, 'MASTER');
    assert.equal(web.version, 3);
    assert.equal(web.advertInt, 0.5);
    assert.equal(web.preemptDelay, 10);
    assert.deepEqual(web.vips.map((v) => [v.address, v.prefix, v.dev, v.label]), [['10.0.0.100', 24, 'eth0', 'eth0:web'], ['10.0.0.101', 32, undefined, undefined]]);
    assert.deepEqual(web.trackInterfaces.map((t) => [t.interface, t.weight]), [['eth1', 0], ['eth2', -5]]);
    assert.equal(web.unicastSrcIp, '10.0.0.2');
    assert.deepEqual(web.unicastPeers, ['10.0.0.3']);
    assert.deepEqual(web.garp, { masterDelay: 1, masterRepeat: 2, masterRefresh: 30, masterRefreshRepeat: 4 });
  });

  test('track_script takes the per-use weight, else the script\'s own', () => {
    assert.deepEqual(web?.trackScripts.map((t) => [t.script, t.weight, t.reverse]), [['chk_http', -20, false], ['chk_tcp', 10, true]]);
  });

  test('notify scripts keep their quoted arguments and optional user and group', () => {
    assert.equal(web?.notify.master?.script, "/etc/haup/scripts/notify.sh master 'two words'");
    assert.deepEqual(web?.notify.backup?.user, { user: 'root' });
    assert.deepEqual(web?.notify.fault?.user, { user: 'root', group: 'root' });
    assert.equal(web?.notify.stop?.script, '/etc/haup/scripts/stop.sh');
    assert.equal(web?.notify.any?.script, '/etc/haup/scripts/any.sh');
  });

  test('IPv6 VIPs make a VRRPv3 IPv6 instance with canonical addresses', () => {
    assert.equal(v6?.family, 6);
    assert.equal(v6?.version, 3);
    assert.deepEqual(v6?.vips.map((v) => [v.address, v.prefix]), [['fd00::100', 64]]);
  });

  test('sync groups list members (several per line) and notify scripts', () => {
    const [g] = r.config.syncGroups;
    assert.deepEqual(g?.members, ['VI_WEB', 'VI_V6']);
    assert.equal(g?.notify.master?.script, '/etc/haup/scripts/group.sh master');
    assert.equal(g?.notify.any?.script, '/etc/haup/scripts/group-any.sh');
  });
});

describe('errors name the file, the line and the keyword', () => {
  test('an unknown keyword is an error with a spelling hint, never ignored', () => {
    assert.deepEqual(messages('vrrp_instance A {\n  interface eth0\n  virtual_router_idd 5\n}\n'), [
      "3: error: unknown keyword 'virtual_router_idd' in vrrp_instance A — did you mean 'virtual_router_id'?",
    ]);
  });

  test('a keepalived keyword haup does not implement says so', () => {
    assert.match(messages('global_defs {\n vrrp_strict\n}\n')[0] ?? '', /^2: error: 'vrrp_strict' in global_defs is a keepalived keyword haup does not support/);
  });

  test('all problems are reported at once', () => {
    const m = messages('vrrp_instance A {\n priority 300\n advert_int 0\n virtual_router_id x\n state LEADER\n bogus\n}\nfoo {\n}\n');
    assert.equal(m.length, 6, m.join('\n'));
    assert.match(m[0] ?? '', /^2: error: priority: 300 is outside 1\.\.255 — use 1\.\.254, or 255 only for the address owner/);
    assert.match(m[1] ?? '', /^3: error: advert_int: 0 is outside 0\.01\.\.255/);
    assert.match(m[2] ?? '', /^4: error: virtual_router_id: 'x' is not a whole number/);
    assert.match(m[3] ?? '', /^5: error: state 'LEADER' is not MASTER or BACKUP/);
    assert.match(m[4] ?? '', /^6: error: unknown keyword 'bogus'/);
    assert.match(m[5] ?? '', /^8: error: unknown keyword 'foo' in the top level/);
  });

  test('unsupported virtual_ipaddress options and bad addresses are errors', () => {
    const m = messages('vrrp_instance A {\n virtual_ipaddress {\n  10.0.0.1/24 scope link\n  10.0.0.300\n  10.0.0.2/33\n }\n}\n');
    assert.match(m[0] ?? '', /^3: error: virtual_ipaddress option 'scope' is not supported/);
    assert.match(m[1] ?? '', /^4: error: .*'10\.0\.0\.300' is not an IPv4 or IPv6 address/);
    assert.match(m[2] ?? '', /^5: error: .*prefix length in '10\.0\.0\.2\/33'/);
  });

  test('auth_type AH is refused; an auth_pass over 8 characters is truncated with a warning', () => {
    const m = messages('vrrp_instance A {\n authentication {\n  auth_type AH\n }\n}\nvrrp_instance B {\n authentication {\n  auth_type PASS\n  auth_pass 123456789\n }\n}\n');
    assert.match(m[0] ?? '', /^3: error: auth_type AH \(IPsec\) is not supported/);
    assert.match(m[1] ?? '', /^9: warning: auth_pass is longer than 8 characters — only '12345678' is used/);
    assert.deepEqual(parseText('vrrp_instance B {\n authentication {\n  auth_type PASS\n  auth_pass 123456789\n }\n}\n').config.instances[0]?.authentication, { type: 'PASS', pass: '12345678' });
  });

  test('mixing IPv4 and IPv6 VIPs in one instance is an error', () => {
    assert.match(messages('vrrp_instance A {\n virtual_ipaddress {\n  10.0.0.1\n  fd00::1\n }\n}\n')[0] ?? '', /^4: error: fd00::1: all virtual_ipaddress entries of A must be IPv4/);
  });

  test('a vrrp_script without a script line is an error, extra unquoted words a warning', () => {
    assert.match(messages('vrrp_script s {\n interval 2\n}\n')[0] ?? '', /^1: error: vrrp_script s has no 'script' line/);
    assert.match(messages('vrrp_script s {\n script /bin/check arg\n}\n')[0] ?? '', /^2: warning: words after '\/bin\/check' are ignored .* quote the whole command: script "\/bin\/check arg"/);
  });

  test('duplicate names are errors', () => {
    const m = messages('vrrp_instance A {\n}\nvrrp_instance A {\n}\nvrrp_script s {\n script /x\n}\nvrrp_script s {\n script /y\n}\n');
    assert.deepEqual(m.map((x) => x.slice(0, 9)), ['3: error:', '8: error:']);
  });

  test('conditional configuration is refused with an explanation', () => {
    assert.match(messages('@lb1 global_defs {\n}\n')[0] ?? '', /conditional configuration .* not supported/);
  });
});
