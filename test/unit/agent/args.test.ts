// Input: haup-agent command lines. Output: the parsed command or a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../../agent/args.js';

test('parses run with a config file and defaults for the rest', () => {
  assert.deepEqual(parseArgs(['run', '-f', '/etc/haup/k.conf']), {
    ok: true,
    command: { cmd: 'run', configFile: '/etc/haup/k.conf', stateFile: '/run/haup/agent-state.json', pidFile: '/run/haup/haup-agent.pid', recordFile: null },
  });
});
test('accepts --opt=value and keepalived-style --use-file', () => {
  const r = parseArgs(['run', '--use-file=/x.conf', '--state-file=/tmp/s.json']);
  assert.ok(r.ok && r.command.cmd === 'run' && r.command.configFile === '/x.conf' && r.command.stateFile === '/tmp/s.json');
});
test('parses check with a positional file', () => {
  assert.deepEqual(parseArgs(['check', 'a.conf']), { ok: true, command: { cmd: 'check', configFile: 'a.conf' } });
});
test('parses status --json', () => {
  const r = parseArgs(['status', '--json']);
  assert.ok(r.ok && r.command.cmd === 'status' && r.command.json);
});
test('gives per-command help', () => {
  assert.deepEqual(parseArgs(['run', '--help']), { ok: true, command: { cmd: 'help', topic: 'run' } });
  assert.deepEqual(parseArgs([]), { ok: true, command: { cmd: 'help', topic: null } });
});
test('rejects an unknown command, an unknown option and a missing value with what to do', () => {
  assert.deepEqual(parseArgs(['start']), { ok: false, error: 'unknown command "start"; expected run, check or status (see haup-agent --help)' });
  assert.deepEqual(parseArgs(['run', '--bogus']), { ok: false, error: 'unknown option --bogus for "run" (see haup-agent run --help)' });
  assert.deepEqual(parseArgs(['run', '-f']), { ok: false, error: '-f needs a value' });
  assert.equal(parseArgs(['check']).ok, false);
});
