// Input: the facts script's file part on real files in a temp dir, run by real sh (dash) and bash, with a shell
// function standing in front of sha256sum to count its runs. Output: parseFacts' view of the files, and how often
// the files had to be read again, across runs with the hash cache.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { factsScript, parseFacts } from '../../../cli/plan/facts.js';

const root = mkdtempSync(join(tmpdir(), 'haup-facts-files-'));
after(() => rmSync(root, { recursive: true, force: true }));
const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

for (const shell of ['bash', 'sh']) {
  // The cache is bash's (haup's remote shell runs the facts under bash); under sh every run hashes every file.
  const cached = shell === 'bash';
  describe(`facts: file hashes ${cached ? 'with the hash cache (bash)' : 'without a cache (sh)'}`, () => {
    const dir = join(root, shell);
    const run = join(dir, 'run');
    mkdirSync(run, { recursive: true });
    const conf = join(dir, 'keepalived.conf');
    const script = join(dir, 'check nginx.sh'); // a space: paths are words to the shell
    const missing = join(dir, 'missing');
    const cache = join(run, 'file-hashes');
    const count = join(dir, 'sha256sum-runs');
    writeFileSync(conf, 'vrrp_instance A { priority 100 }\n', { mode: 0o600 });
    writeFileSync(script, '#!/bin/sh\nexit 0\n', { mode: 0o755 });

    /** One facts run: the files as parseFacts sees them, and how many sha256sum runs it took. */
    const facts = (hashCache = cache) => {
      const text = factsScript([conf, script, missing], { stateFile: null, pidFile: join(run, 'pid'), node: false, addresses: false, hashCache });
      const counted = `sha256sum() { echo x >> '${count}'; command sha256sum "$@"; }\n${text}`;
      rmSync(count, { force: true });
      const out = execFileSync(shell, ['-c', counted], { encoding: 'utf8' });
      const runs = existsSync(count) ? readFileSync(count, 'utf8').split('\n').filter(Boolean).length : 0;
      return { files: parseFacts(out).files, runs, out };
    };
    const truth = (p: string) => ({ sha256: sha(readFileSync(p)), mode: statSync(p).mode & 0o777, uid: statSync(p).uid });

    test('a first run hashes every file; files changed before that second are cached, and the next run reads none', async () => {
      await new Promise((r) => setTimeout(r, 1100)); // the files' ctime is now a second behind
      const first = facts();
      assert.equal(first.runs, 1);
      assert.deepEqual(first.files.get(conf), truth(conf));
      assert.deepEqual(first.files.get(script), truth(script));
      assert.equal(first.files.get(missing), null);
      assert.equal(existsSync(cache) ? statSync(cache).mode & 0o777 : null, cached ? 0o600 : null);
      const second = facts();
      assert.equal(second.runs, cached ? 0 : 1, second.out);
      if (cached) assert.match(second.out, new RegExp(`^file ${truth(conf).sha256} 600 \\d+ ${conf}$`, 'm'));
      assert.deepEqual(second.files, first.files, 'the same facts from the cache');
      assert.deepEqual(second.files.get(conf), truth(conf));
      assert.deepEqual(second.files.get(script), truth(script));
      assert.equal(second.files.get(missing), null);
    });

    test('a file rewritten with the same size, or chmod-ed, is read again; the others still come from the cache', () => {
      writeFileSync(conf, 'vrrp_instance A { priority 101 }\n'); // same size, same inode
      chmodSync(script, 0o700);
      const r = facts();
      assert.equal(r.runs, 1);
      assert.deepEqual(r.files.get(conf), truth(conf));
      assert.deepEqual(r.files.get(script), truth(script));
      // Rewritten again at once with the same size: a new ctime, so whatever the last run cached cannot hide it.
      writeFileSync(conf, 'vrrp_instance A { priority 102 }\n');
      assert.deepEqual(facts().files.get(conf), truth(conf));
    });

    test('a file last changed a clock tick before the run is cached; one changed after the clock file is not', { skip: !cached }, async () => {
      writeFileSync(conf, 'vrrp_instance A { priority 103 }\n');
      await new Promise((r) => setTimeout(r, 30)); // a few kernel clock ticks, far less than a second
      assert.equal(facts().runs, 1);
      assert.equal(facts().runs, 0, 'cached: its ctime is before the clock file of the run that hashed it');
      // The clock file truncated just before the file changed (the change comes "during" the run): never cached.
      const text = factsScript([conf], { stateFile: null, pidFile: join(run, 'pid'), node: false, addresses: false, hashCache: cache }).replace(
        '{ : > "$HK"; } 2>/dev/null &&',
        `{ : > "$HK"; } 2>/dev/null && { printf 'vrrp_instance A { priority 104 }\\n' > '${conf}'; } &&`,
      );
      execFileSync('bash', ['-c', text]);
      assert.equal(facts().runs, 1, 'changed after the clock file: hashed again');
      assert.deepEqual(facts().files.get(conf), truth(conf));
    });

    test('a damaged cache only costs a hash run; without the run directory there is no cache at all', { skip: !cached }, () => {
      writeFileSync(cache, `${'0'.repeat(64)} 600 0 1 1 1 1 ${conf}\nnot a line\n`);
      const r = facts();
      assert.ok(r.runs >= 1);
      assert.deepEqual(r.files.get(conf), truth(conf));
      const away = join(dir, 'no-run-dir', 'file-hashes');
      const n = facts(away);
      assert.equal(n.runs, 1);
      assert.deepEqual(n.files.get(script), truth(script));
      assert.equal(existsSync(join(dir, 'no-run-dir')), false);
    });
  });
}
