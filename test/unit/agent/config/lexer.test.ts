// Input: keepalived.conf lines and include trees (in memory). Output: words, statement blocks with file:line, include errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lex, splitLine, type Statement } from '../../../../agent/config/lexer.js';
import type { Diagnostic } from '../../../../agent/config/schema.js';

const words = (line: string) => splitLine(line).tokens.map((t) => (t.kind === 'word' ? t.text : t.kind === 'open' ? '{' : '}'));

function tree(files: Record<string, string>, main = '/etc/haup/keepalived.conf'): { st: Statement[]; diags: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const reader = {
    readFile: (p: string) => {
      const t = files[p];
      if (t === undefined) throw new Error('ENOENT: no such file');
      return t;
    },
    glob: (pattern: string) => {
      const re = new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`);
      return Object.keys(files).filter((f) => re.test(f)).sort();
    },
  };
  return { st: lex(files[main] ?? '', main, reader, diags), diags };
}

const shape = (sts: Statement[]): unknown => sts.map((s) => (s.block ? [s.words.join(' '), shape(s.block)] : s.words.join(' ')));

describe('splitLine', () => {
  test('splits on whitespace and cuts ! and # comments anywhere', () => {
    assert.deepEqual(words('  priority 100   # the backup'), ['priority', '100']);
    assert.deepEqual(words('auth_pass se!cret'), ['auth_pass', 'se']);
  });

  test('quotes group words, keep comment characters, and join adjacent text', () => {
    assert.deepEqual(words('script "/bin/check -x #1"'), ['script', '/bin/check -x #1']);
    assert.deepEqual(words(`abcd" efg h jkl "mnop`), ['abcd efg h jkl mnop']);
    assert.deepEqual(words(`a 'b "c"' d`), ['a', 'b "c"', 'd']);
  });

  test('escapes inside quotes follow the keepalived man page', () => {
    assert.deepEqual(words(String.raw`x "a\tb\x41\101\"\\"`), ['x', 'a\tbAA"\\']);
  });

  test('braces are tokens of their own', () => {
    assert.deepEqual(words('authentication { auth_type PASS }'), ['authentication', '{', 'auth_type', 'PASS', '}']);
  });

  test('an unterminated quote is reported', () => {
    assert.equal(splitLine('script "/bin/x').error, 'unterminated " quote');
  });
});

describe('lex', () => {
  test('builds nested blocks, with the opening brace on the same or the next line', () => {
    const { st, diags } = tree({ '/etc/haup/keepalived.conf': 'vrrp_instance A\n{\n state BACKUP\n authentication { auth_type PASS\n auth_pass x }\n}\n' });
    assert.deepEqual(diags, []);
    assert.deepEqual(shape(st), [['vrrp_instance A', ['state BACKUP', ['authentication', ['auth_type PASS', 'auth_pass x']]]]]);
    assert.equal(st[0]?.block?.[1]?.line, 4);
  });

  test('include is relative to the including file and expands globs in order', () => {
    const { st, diags } = tree({
      '/etc/haup/keepalived.conf': 'include conf.d/*.conf\nglobal_defs {\n}\n',
      '/etc/haup/conf.d/b.conf': 'vrrp_script b {\n}\n',
      '/etc/haup/conf.d/a.conf': 'include ../more/x.conf\nvrrp_script a {\n}\n',
      '/etc/haup/more/x.conf': 'vrrp_script x {\n}\n',
    });
    assert.deepEqual(diags, []);
    assert.deepEqual(st.map((s) => `${s.words.join(' ')} @${s.file}:${s.line}`), [
      'vrrp_script x @/etc/haup/more/x.conf:1',
      'vrrp_script a @/etc/haup/conf.d/a.conf:2',
      'vrrp_script b @/etc/haup/conf.d/b.conf:1',
      'global_defs @/etc/haup/keepalived.conf:2',
    ]);
  });

  test('an include can sit inside a block', () => {
    const { st } = tree({ '/etc/haup/keepalived.conf': 'vrrp_instance A {\n include vips.conf\n}\n', '/etc/haup/vips.conf': 'virtual_ipaddress {\n 10.0.0.1\n}\n' });
    assert.deepEqual(shape(st), [['vrrp_instance A', [['virtual_ipaddress', ['10.0.0.1']]]]]);
  });

  test('a missing include, an include loop and an empty glob are reported where the include is', () => {
    const { diags } = tree({
      '/etc/haup/keepalived.conf': 'include nope.conf\ninclude loop.conf\ninclude none/*.conf\n',
      '/etc/haup/loop.conf': 'include keepalived.conf\n',
    });
    assert.deepEqual(diags.map((d) => `${d.file}:${d.line}: ${d.severity}`), [
      '/etc/haup/keepalived.conf:1: error',
      '/etc/haup/loop.conf:1: error',
      '/etc/haup/keepalived.conf:3: warning',
    ]);
    assert.match(diags[0]?.message ?? '', /cannot read \/etc\/haup\/nope\.conf \(ENOENT/);
    assert.match(diags[1]?.message ?? '', /includes itself/);
  });

  test('an extra } and a block never closed are errors with their lines', () => {
    const { diags } = tree({ '/etc/haup/keepalived.conf': 'global_defs {\n}\n}\nvrrp_instance A {\n state BACKUP\n' });
    assert.deepEqual(diags.map((d) => `${d.line}: ${d.message}`), [
      "3: extra '}' — remove it or add the block it closes",
      "4: 'vrrp_instance' block is never closed — add the missing '}'",
    ]);
  });
});
