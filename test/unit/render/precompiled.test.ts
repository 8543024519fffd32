// Input: the built-in templates precompiled as build.mjs does it, and template sets mixing them with other texts.
// Output: the same bytes as compiling at render time, for every example inventory and for a user's template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Handlebars from 'handlebars';
import { loadInventory } from '../../../cli/inventory/load.js';
import { COMPILE_OPTIONS } from '../../../cli/render/handlebars-env.js';
import type { PrecompiledTemplate } from '../../../cli/render/precompiled.js';
import { renderInventory, type TemplateSet } from '../../../cli/render/render.js';
import { loadTemplates, usablePrecompiled, withPrecompiled } from '../../../cli/render/templates.js';
import { exampleInventories } from '../../golden/render-inventories.js';

/** What build.mjs puts in the bundle: Handlebars.precompile's source, evaluated as the bundle's code is. */
function precompileAll(set: TemplateSet): Map<string, PrecompiledTemplate> {
  const table = new Map<string, PrecompiledTemplate>();
  for (const t of set.values()) {
    const source = Handlebars.precompile(t.text, { ...COMPILE_OPTIONS });
    table.set(t.name, { text: t.text, spec: new Function(`return ${String(source)};`)() as TemplateSpecification });
  }
  return table;
}

const compiled = await loadTemplates(null, undefined, new Map());
const table = precompileAll(compiled);
const precompiled = await loadTemplates(null, undefined, table);

test('every built-in template gets its precompiled form when the table holds its exact text', () => {
  assert.ok(precompiled.size >= 7);
  for (const t of precompiled.values()) assert.ok(t.precompiled, `${t.name} has no precompiled form`);
  for (const t of compiled.values()) assert.equal(t.precompiled, undefined);
});

test('precompiled templates render every example inventory byte for byte as compiled ones', async () => {
  for (const inventory of exampleInventories()) {
    const { model } = await loadInventory(inventory, { env: {}, home: '/home/haup' });
    const a = renderInventory(model, compiled);
    const b = renderInventory(model, precompiled);
    assert.ok(a.length > 0);
    assert.deepEqual(b, a, `${inventory} renders differently when precompiled`);
  }
});

test('a template whose text differs from the precompiled one is compiled from its own text', async () => {
  const { model } = await loadInventory('inventories/example.yml', { env: {}, home: '/home/haup' });
  const mine = 'router {{routerId}} (mine)\n';
  const user = new Map([...compiled, ['keepalived.conf.hbs', { name: 'keepalived.conf.hbs', text: mine, origin: '/my/keepalived.conf.hbs' }]]);
  const set = withPrecompiled(user, table);
  assert.equal(set.get('keepalived.conf.hbs')?.precompiled, undefined);
  assert.ok(set.get('check_nginx.sh.hbs')?.precompiled, 'an unchanged template keeps its precompiled form');
  const conf = renderInventory(model, set).filter((f) => f.template === 'keepalived.conf.hbs');
  assert.deepEqual(conf.map((f) => f.content), model.hosts.map((h) => `router ${h.id} (mine)\n`));
});

test('a table made with other compile options is not used', () => {
  assert.equal(usablePrecompiled(table, { ...COMPILE_OPTIONS }).size, table.size);
  assert.equal(usablePrecompiled(table, { noEscape: true, strict: true }).size, table.size);
  assert.equal(usablePrecompiled(table, { strict: true }).size, 0);
  assert.equal(usablePrecompiled(table, { ...COMPILE_OPTIONS, data: false }).size, 0);
});

test('running from source, the table is empty and templates compile', () => {
  assert.equal(usablePrecompiled().size, 0);
});
