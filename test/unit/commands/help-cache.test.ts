import { test } from 'node:test';
import assert from 'node:assert/strict';
import yargs from 'yargs';
import { skipHelpCache } from '../../../cli/commands/help-cache.js';

interface Usage {
  hasCachedHelpMessage(): boolean;
}

function parserFor(run: string[], ran: string[]) {
  return yargs(run)
    .scriptName('haup')
    .strict()
    .exitProcess(false)
    .command('deploy <inventory>', 'push', (y) => y.positional('inventory', { type: 'string' }).option('json', { type: 'boolean' }), (argv) => {
      ran.push(String(argv.inventory));
    });
}

const usageOf = (p: unknown) => (p as { getInternalMethods(): { getUsageInstance(): Usage } }).getInternalMethods().getUsageInstance();

test('yargs caches the help text before a command handler runs, unless skipHelpCache is applied', async () => {
  const ran: string[] = [];
  const plain = parserFor(['deploy', 'inv.yml'], ran);
  await plain.parseAsync();
  assert.equal(usageOf(plain).hasCachedHelpMessage(), true, 'yargs no longer caches help: skipHelpCache may be dropped');

  const skipped = parserFor(['deploy', 'inv.yml'], ran);
  skipHelpCache(skipped);
  await skipped.parseAsync();
  assert.equal(usageOf(skipped).hasCachedHelpMessage(), false);
  assert.deepEqual(ran, ['inv.yml', 'inv.yml']);
});

test('the help text is the same with and without skipHelpCache', async () => {
  const help = async (skip: boolean, args: string[]) => {
    const p = parserFor(args, []);
    if (skip) skipHelpCache(p);
    let out = '';
    await p.parseAsync(args, {}, (_err, _argv, output) => {
      out = output;
    });
    return out;
  };
  for (const args of [['--help'], ['deploy', '--help']]) {
    const before = await help(false, args);
    assert.match(before, /inventory/);
    assert.equal(await help(true, args), before);
  }
});

test('skipHelpCache leaves anything without yargs internals alone', () => {
  assert.doesNotThrow(() => skipHelpCache({}));
});
