// Turns off yargs' help-text cache, which costs every command ~40 ms of CPU for text that haup never prints.

/**
 * yargs renders the running command's whole help text before calling its handler and keeps it in case the handler
 * calls showHelp() later (yargs 18 lib/command.js), measuring every cell's width with cliui. haup's handlers never
 * show help, so the cache is never read. `--help` and usage errors do not use it and print exactly as before.
 * Reaches into yargs internals (pinned in package.json): a unit test fails if they change.
 */
export function skipHelpCache(parser: object): void {
  const internal = (parser as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: unknown } } }).getInternalMethods?.();
  const usage = internal?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}
