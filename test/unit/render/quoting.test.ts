// Input: arbitrary strings. Output: shell words that a real /bin/sh reads back unchanged, and keepalived
// strings that refuse every character able to end the string or start a block or comment.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { quote, shargv, shq } from '../../../cli/render/handlebars-env.js';

describe('shq', () => {
  test('quotes any one-line string so that sh reads it back byte for byte', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !/[\n\r\0]/.test(s) && !/[\uD800-\uDFFF]/.test(s)), (s) => {
        const r = spawnSync('sh', ['-c', `printf '%s' ${shq(s)}`], { encoding: 'utf8' });
        assert.equal(r.stdout, s);
      }),
      { numRuns: 30 },
    );
  });

  test('keeps command substitution and quotes inert', () => {
    const payload = `$(touch /tmp/h4-pwned) \`id\` ' " ; rm -rf /`;
    const r = spawnSync('sh', ['-c', `printf '%s' ${shq(payload)}`], { encoding: 'utf8' });
    assert.equal(r.stdout, payload);
  });

  test('refuses newlines', () => {
    assert.throws(() => shq('a\nb'), /newline/);
  });

  test('joins an argument list into separately quoted words', () => {
    assert.equal(shargv(['/usr/sbin/nginx', '-c', "a b'c"]), `'/usr/sbin/nginx' '-c' 'a b'\\''c'`);
  });
});

describe('quote', () => {
  test('wraps a plain path in double quotes', () => {
    assert.equal(quote('/etc/haup/scripts/check_nginx.sh'), '"/etc/haup/scripts/check_nginx.sh"');
  });

  for (const bad of ['a"b', 'a\nb', 'a}b', 'a{b', 'a#b', 'a!b', 'a\\b']) {
    test(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => quote(bad), /cannot be quoted safely/);
    });
  }
});
