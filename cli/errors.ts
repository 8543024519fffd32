// HaupError: a failure a user can act on — a stable code, a one-line title, and a hint (STYLE.md §4).

/** Stable error codes; documented in README "Errors". */
export type ErrorCode =
  | 'HAUP_USAGE'
  | 'HAUP_NOT_ROOT'
  | 'HAUP_MISSING_PACKAGES'
  | 'HAUP_LAB_EXISTS'
  | 'HAUP_LAB_NOT_FOUND'
  | 'HAUP_LAB_FAILED'
  | 'HAUP_INVENTORY_INVALID'
  | 'HAUP_TEMPLATE'
  | 'HAUP_SSH_DNS'
  | 'HAUP_SSH_REFUSED'
  | 'HAUP_SSH_UNREACHABLE'
  | 'HAUP_SSH_TIMEOUT'
  | 'HAUP_SSH_AUTH'
  | 'HAUP_SSH_HOSTKEY_UNKNOWN'
  | 'HAUP_SSH_HOSTKEY_CHANGED'
  | 'HAUP_SSH_HOSTKEY_REVOKED'
  | 'HAUP_SUDO'
  | 'HAUP_SSH'
  | 'HAUP_SSH_KEEPER'
  | 'HAUP_REMOTE_COMMAND'
  | 'HAUP_FACTS'
  | 'HAUP_DEPLOY_FAILED'
  | 'HAUP_VERIFY_FAILED'
  | 'HAUP_STATUS_FAILED'
  | 'HAUP_DEMO_FAILED';

/** Exit codes: 0 ok, 1 a host (or a check) failed, 2 bad inventory or usage. */
export const EXIT_HOST_FAILED = 1;
export const EXIT_USAGE = 2;

const USAGE_CODES: ReadonlySet<ErrorCode> = new Set(['HAUP_USAGE', 'HAUP_INVENTORY_INVALID', 'HAUP_TEMPLATE']);

export class HaupError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** Extra lines shown under the title (e.g. every validation problem). */
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, opts: { hint?: string; details?: readonly string[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'HaupError';
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details ?? [];
  }

  get exitCode(): number {
    return USAGE_CODES.has(this.code) ? EXIT_USAGE : EXIT_HOST_FAILED;
  }
}

/** Pure formatter for the one top-level catch in cli/main.ts. */
export function formatError(err: unknown, opts: { verbose: boolean; color: boolean }): string {
  const red = (s: string) => (opts.color ? `\x1b[31m${s}\x1b[39m` : s);
  const dim = (s: string) => (opts.color ? `\x1b[2m${s}\x1b[22m` : s);
  if (err instanceof HaupError) {
    const lines = [red(`error ${err.code}: ${err.message}`), ...err.details.map((d) => `  ${d}`)];
    if (err.hint) lines.push(dim(`hint: ${err.hint}`));
    if (opts.verbose) {
      if (err.stack) lines.push(dim(err.stack));
      if (err.cause) lines.push(dim(`cause: ${err.cause instanceof Error ? (err.cause.stack ?? err.cause.message) : String(err.cause)}`));
    }
    return lines.join('\n');
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return `${red('internal error — please report it with the output of --verbose')}\n${stack}`;
}
