// Input: `node build.mjs` run while another process has dist/agent/haup_raw.node loaded (a running agent or test).
// Output: the addon is replaced by a new file (a new inode), never rewritten in place, and the process lives on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..', '..');
const BUILT = join(REPO, 'agent/native/build/Release/haup_raw.node');
const SHIPPED = join(REPO, 'dist/agent/haup_raw.node');
const skip = existsSync(BUILT) && existsSync(SHIPPED) ? undefined : 'needs the addon and the build: npm ci && npm run build';

test('build.mjs replaces the shipped addon with a new file, so a process that has it loaded keeps running', { skip }, async () => {
  // The holder loads the shipped addon and stays until its stdin closes.
  const holder = spawn(process.execPath, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(SHIPPED)}); console.log('loaded'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(holder, 'exit');
  try {
    await once(holder.stdout, 'data');
    const before = statSync(SHIPPED).ino;
    const build = spawnSync(process.execPath, ['build.mjs'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    assert.notEqual(statSync(SHIPPED).ino, before, 'a new file, not the old one rewritten');
    assert.deepEqual(readFileSync(SHIPPED), readFileSync(BUILT));
    assert.deepEqual(readdirSync(join(REPO, 'dist/agent')).filter((f) => f.startsWith('.')), [], 'no temporary file left');
    assert.equal(holder.exitCode, null, 'the process with the old addon loaded still runs');
  } finally {
    holder.stdin.end();
  }
  assert.deepEqual(await exited, [0, null]);
});
