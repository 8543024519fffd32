// Input: every inventories/broken/*.yml. Output: HAUP_INVENTORY_INVALID whose lines contain each
// `# expect:` line of the file, and never a secret from the environment.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HaupError } from '../../../cli/errors.js';
import { loadInventory } from '../../../cli/inventory/load.js';

const DIR = 'inventories/broken';
const SECRETS = { HAUP_TEST_PASS: 'secret1', HAUP_LONG_PASS: 'verylongpass1', HAUP_BRACE_PASS: 'ab}cd' };
const ENV = { ...SECRETS, HAUP_EVIL_IFACE: 'eth0\n}\nvrrp_instance x {' };

const files = readdirSync(DIR).filter((f) => f.endsWith('.yml')).sort();

describe('broken inventories', () => {
  test('there are at least 30 of them, each with an expectation', () => {
    assert.ok(files.length >= 30, `only ${files.length} broken inventories`);
    for (const f of files) assert.match(readFileSync(join(DIR, f), 'utf8'), /^# expect: /m, `${f} has no "# expect:" line`);
  });

  for (const f of files) {
    const path = join(DIR, f);
    const text = readFileSync(path, 'utf8');
    const about = /^# broken: (.*)$/m.exec(text)?.[1] ?? f;
    test(`rejects ${about} (${f})`, async () => {
      const expects = [...text.matchAll(/^# expect: (.*)$/gm)].map((m) => m[1] as string);
      const err = await loadInventory(path, { env: ENV, home: '/nonexistent-home' }).then(
        () => assert.fail(`${f} was accepted`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof HaupError, `expected a HaupError, got ${String(err)}`);
      assert.equal(err.code, 'HAUP_INVENTORY_INVALID');
      assert.equal(err.exitCode, 2);
      const output = [err.message, ...err.details].join('\n');
      for (const e of expects) assert.ok(output.includes(e), `missing "${e}" in:\n${output}`);
      for (const [name, secret] of Object.entries(SECRETS)) assert.ok(!output.includes(secret), `${name}'s value leaked into:\n${output}`);
      for (const line of err.details) assert.match(line, /^(warning: )?inventories\/broken\/[\w.-]+\.yml(:\d+)?: /, `"${line}" does not start with file:line`);
    });
  }
});
