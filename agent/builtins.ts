// Node modules the agent needs only on some paths, loaded on first use instead of at start: child_process (check
// and notify scripts, the `ip` fallbacks; it brings net, dgram and the streams along) and readline (the `ip monitor`
// fallback). Together ~4 ms of every agent start in the lab, where a cold deploy starts 20 masters at once on 2
// cores. createRequire('/') resolves built-in modules the same from the ESM sources and from the CJS bundle.
import { createRequire } from 'node:module';

const load = createRequire('/');

export const childProcess = (): typeof import('node:child_process') => load('node:child_process') as typeof import('node:child_process');
export const readline = (): typeof import('node:readline') => load('node:readline') as typeof import('node:readline');
