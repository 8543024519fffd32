// Input: log calls in a child process whose stdout is a pipe (the agent's, under journald, is a socket; in the lab a
// file). Output: the lines as written, in order, each whole, also when the reader is slow and the pipe fills up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const log = fileURLToPath(new URL('../../../agent/log.ts', import.meta.url));

function run(script: string, env: NodeJS.ProcessEnv = {}, readDelayMs = 0): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', `const { createLogger } = await import(${JSON.stringify(log)});\n${script}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, JOURNAL_STREAM: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    if (readDelayMs > 0) {
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), readDelayMs);
    }
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('lines go to stdout with a timestamp, a level word and flattened newlines', async () => {
  const r = await run("const l = createLogger(); l.info('started'); l.warn('two\\nlines'); l.error('bad');");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z started$/);
  assert.match(lines[1] ?? '', /Z warning: two \| lines$/);
  assert.match(lines[2] ?? '', /Z error: bad$/);
});

test('under journald: a priority prefix, no timestamp', async () => {
  const r = await run("createLogger().info('up'); createLogger().error('down');", { JOURNAL_STREAM: '8:1234' });
  assert.equal(r.stdout, '<6>up\n<3>error: down\n');
});

test('a full pipe (a slow reader) loses nothing: 2 MiB of lines arrive whole and in order', async () => {
  const r = await run("const l = createLogger(); for (let i = 0; i < 20000; i++) l.info(`line ${i} ${'x'.repeat(80)}`);", {}, 300);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 20000);
  lines.forEach((l, i) => assert.ok(l.endsWith(`Z line ${i} ${'x'.repeat(80)}`), `line ${i}: ${l.slice(0, 60)}`));
});
