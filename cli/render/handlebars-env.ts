// A private Handlebars environment for haup templates: strict (a missing variable throws), no HTML
// escaping, and quoting helpers that refuse characters able to break out of a config line or a shell word.
import type Handlebars from 'handlebars';
// Handlebars' runtime alone (~46 KB): it runs the templates the build precompiled. Its type file declares nothing,
// so its default export is typed as the full Handlebars, of which it is the runtime part (no compile, precompile).
import * as runtimeModule from 'handlebars/runtime.js';

type HandlebarsModule = typeof Handlebars;
const runtime = (runtimeModule as unknown as { default: HandlebarsModule }).default;

export type HandlebarsEnv = ReturnType<HandlebarsModule['create']>;

/**
 * The full Handlebars (runtime + compiler, with source-map: ~195 KB more to load and compile on every command)
 * once loadCompiler() ran: only a template the build did not precompile (a user's, an edited one, or every
 * template when running from source) needs it. Environments made before that cannot compile.
 */
let full: HandlebarsModule | null = null;

export async function loadCompiler(): Promise<void> {
  full ??= (await import('handlebars')).default;
}

/** Characters that could end a keepalived token or string, start a comment, or open a block. */
const KEEPALIVED_UNSAFE = /["'`{}\\\n\r\0#!]/;
const SHELL_UNSAFE = /[\n\r\0]/;

export class TemplateValueError extends Error {}

/** keepalived double-quoted string: `"…"`; refuses quotes, braces, comment starters and newlines. */
export function quote(value: unknown): string {
  const s = String(value);
  if (KEEPALIVED_UNSAFE.test(s)) throw new TemplateValueError(`quote: ${JSON.stringify(s)} contains a character that cannot be quoted safely in keepalived.conf`);
  return `"${s}"`;
}

/** POSIX shell single-quoted word: `'…'`, with embedded single quotes escaped as '\''. */
export function shq(value: unknown): string {
  const s = String(value);
  if (SHELL_UNSAFE.test(s)) throw new TemplateValueError(`shq: ${JSON.stringify(s)} contains a newline or NUL`);
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A command line from an argument list, each argument shell-quoted. */
export function shargv(value: unknown): string {
  if (!Array.isArray(value) || value.length === 0) throw new TemplateValueError('shargv: expects a non-empty list of arguments');
  return value.map(shq).join(' ');
}

export function createHandlebars(): HandlebarsEnv {
  const hb = (full ?? runtime).create();
  // Helpers get Handlebars' options object as their last argument; pass only the value along.
  hb.registerHelper('quote', (v: unknown) => quote(v));
  hb.registerHelper('shq', (v: unknown) => shq(v));
  hb.registerHelper('shargv', (v: unknown) => shargv(v));
  hb.registerHelper('join', (v: unknown, sep: unknown) => {
    if (!Array.isArray(v)) throw new TemplateValueError('join: expects a list');
    return v.map(String).join(typeof sep === 'string' ? sep : ', ');
  });
  return hb;
}

export const COMPILE_OPTIONS = { strict: true, noEscape: true } as const;
