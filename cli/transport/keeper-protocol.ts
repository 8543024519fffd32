// Package keeper-protocol is the pure wire format between the CLI and the SSH keeper: newline-delimited JSON over a
// unix socket, one request id per call, many calls in flight; Buffers travel as base64, Maps as entry lists, and a
// HaupError keeps its code, message, hint and details so users see the same message as without the keeper. A large
// file content travels once per session as a blob and is named by its SHA-256 after that (every host of a deploy
// gets the same agent bundle and addon: 40 copies were most of the CLI's CPU in a 20-pair deploy).
import { createHash } from 'node:crypto';
import { HaupError, type ErrorCode } from '../errors.js';
import type { Command, ExecOptions, FileToPut, PutOptions } from './transport.js';

/** Bump when a message changes shape; part of the socket name, so old and new never talk. */
export const KEEPER_PROTOCOL_VERSION = 2;

export interface KeeperHop {
  host: string;
  port: number;
  user: string;
}

export interface KeeperTarget extends KeeperHop {
  name?: string;
  jump?: KeeperHop;
}

/** Everything that decides how a connection is made; two requests share a connection only if all of it is equal. */
export interface KeeperSshOptions {
  /** Absent: ~/.ssh/id_* that exist (the keeper's HOME is part of its socket name). */
  identityFiles?: string[];
  knownHostsFiles: string[];
  trustNewHosts: boolean;
  connectTimeoutMs: number;
  sudo: boolean;
  /** The CLI's $SSH_AUTH_SOCK, or null for none. */
  agentSocket: string | null;
  /** The CLI's $HAUP_SSH_PASSPHRASE; only its hash is part of the identity, and it is never logged. */
  passphrase?: string;
}

/** A file to put whose content is a blob sent earlier in the session (op 'blob'), or inline. */
export type WireFileToPut = Omit<FileToPut, 'content'> & ({ content: Buffer | string; blob?: never } | { blob: string; content?: never });

/** Contents at least this large go as blobs. */
export const BLOB_MIN_BYTES = 16 * 1024;

/** A blob's name on the wire: the SHA-256 of its bytes (the keeper checks it on arrival). */
export function blobId(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export type KeeperRequest =
  | { id: number; op: 'hello'; idleSeconds: number }
  | { id: number; op: 'connect'; target: KeeperTarget; options: KeeperSshOptions }
  | { id: number; op: 'exec'; handle: number; cmd: Command; opts: ExecOptions }
  | { id: number; op: 'blob'; sha256: string; data: Buffer }
  | { id: number; op: 'putFiles'; handle: number; files: WireFileToPut[]; opts: PutOptions }
  | { id: number; op: 'get'; handle: number; path: string; opts: { sudo?: boolean } }
  | { id: number; op: 'statFiles'; handle: number; paths: string[]; opts: { sudo?: boolean } }
  | { id: number; op: 'release'; handle: number }
  | { id: number; op: 'shutdown' };

export type KeeperOp = KeeperRequest['op'];
const OPS: ReadonlySet<string> = new Set<KeeperOp>(['hello', 'connect', 'exec', 'blob', 'putFiles', 'get', 'statFiles', 'release', 'shutdown']);

/** hello's answer: who the keeper is, for `haup disconnect` and tests. */
export interface KeeperHello {
  pid: number;
  protocol: number;
  /** Kept SSH connections (targets, not jump hosts). */
  connections: number;
  /** SSH connections opened since the keeper started (targets and jump hosts). */
  opened: number;
}

export interface KeeperConnected {
  handle: number;
  name: string;
  user: string;
  /** True when an already open connection was reused. */
  reused: boolean;
}

export type WireError =
  | { kind: 'haup'; code: ErrorCode; message: string; hint?: string; details: string[]; cause?: { message: string; stack?: string } }
  | { kind: 'type'; message: string }
  | { kind: 'error'; message: string; stack?: string };

export type KeeperResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

export type KeeperMessage = KeeperRequest | KeeperResponse;

/** Buffers and Maps as tagged JSON objects; undefined members are dropped as JSON.stringify does. */
export function toWire(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return { $b64: v.toString('base64') };
  if (v instanceof Uint8Array) return { $b64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (v instanceof Map) return { $map: [...v.entries()].map(([k, x]) => [toWire(k), toWire(x)]) };
  if (Array.isArray(v)) return v.map(toWire);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toWire(x);
    return out;
  }
  return v;
}

export function fromWire(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromWire);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o.$b64 === 'string') return Buffer.from(o.$b64, 'base64');
    if (keys.length === 1 && Array.isArray(o.$map)) return new Map((o.$map as unknown[]).map((e) => (Array.isArray(e) ? [fromWire(e[0]), fromWire(e[1])] : [undefined, undefined])));
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = fromWire(o[k]);
    return out;
  }
  return v;
}

/** One line of the stream, newline included. */
export function encodeMessage(m: KeeperMessage): string {
  return `${JSON.stringify(toWire(m))}\n`;
}

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

function parseLine(line: string): Record<string, unknown> | DecodeError {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    return new DecodeError(`not JSON: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return new DecodeError('not a JSON object');
  const o = fromWire(v) as Record<string, unknown>;
  if (typeof o.id !== 'number' || !Number.isSafeInteger(o.id)) return new DecodeError('missing numeric id');
  return o;
}

/** A request, or a DecodeError saying what is wrong (never throws). Fields beyond id, op and handle are the sender's. */
export function decodeRequest(line: string): KeeperRequest | DecodeError {
  const o = parseLine(line);
  if (o instanceof DecodeError) return o;
  if (typeof o.op !== 'string' || !OPS.has(o.op)) return new DecodeError(`unknown op ${JSON.stringify(o.op)}`);
  if (['exec', 'putFiles', 'get', 'statFiles', 'release'].includes(o.op) && typeof o.handle !== 'number') return new DecodeError(`${o.op}: missing handle`);
  return o as unknown as KeeperRequest;
}

export function decodeResponse(line: string): KeeperResponse | DecodeError {
  const o = parseLine(line);
  if (o instanceof DecodeError) return o;
  if (o.ok === true) return { id: o.id as number, ok: true, value: o.value };
  if (o.ok === false && o.error !== null && typeof o.error === 'object') return { id: o.id as number, ok: false, error: o.error as WireError };
  return new DecodeError('response without ok');
}

/** What the keeper sends for a thrown value; secrets never appear in HaupErrors, so nothing is filtered here. */
export function encodeError(err: unknown): WireError {
  if (err instanceof HaupError) {
    const cause = err.cause instanceof Error ? { message: err.cause.message, ...(err.cause.stack ? { stack: err.cause.stack } : {}) } : err.cause === undefined ? undefined : { message: String(err.cause) };
    return { kind: 'haup', code: err.code, message: err.message, ...(err.hint !== undefined ? { hint: err.hint } : {}), details: [...err.details], ...(cause ? { cause } : {}) };
  }
  if (err instanceof TypeError) return { kind: 'type', message: err.message };
  const e = err instanceof Error ? err : new Error(String(err));
  return { kind: 'error', message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
}

/** The thrown value the CLI rethrows: a HaupError with the same code, message, hint and details. */
export function decodeError(w: WireError): Error {
  switch (w.kind) {
    case 'haup': {
      const cause = w.cause ? Object.assign(new Error(w.cause.message), w.cause.stack ? { stack: w.cause.stack } : {}) : undefined;
      return new HaupError(w.code, w.message, { details: w.details, ...(w.hint !== undefined ? { hint: w.hint } : {}), ...(cause ? { cause } : {}) });
    }
    case 'type':
      return new TypeError(w.message);
    case 'error':
      return Object.assign(new Error(`SSH keeper: ${w.message}`), w.stack ? { stack: w.stack } : {});
    default: {
      const never: never = w;
      return new Error(`SSH keeper: unknown error ${JSON.stringify(never)}`);
    }
  }
}

/** Splits a byte stream into lines without rescanning earlier chunks (an agent bundle is one ~1 MB line). */
export class LineSplitter {
  private parts: Buffer[] = [];

  /** The complete lines in this chunk (without their newline), in order. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.parts.push(chunk.subarray(start, nl));
      lines.push(Buffer.concat(this.parts).toString('utf8'));
      this.parts = [];
      start = nl + 1;
    }
    if (start < chunk.length) this.parts.push(chunk.subarray(start));
    return lines;
  }

  /** Bytes of an unfinished line. */
  get pending(): number {
    return this.parts.reduce((n, p) => n + p.length, 0);
  }
}

/**
 * The identity of a kept connection: target, jump and every option that changes how it is made or used. Key and
 * known_hosts files are identified by path; their content is checked on each reuse (host keys) or at connect.
 */
export function connectionKey(target: KeeperTarget, o: KeeperSshOptions): string {
  return JSON.stringify([
    target.name ?? null, // part of every message about the connection
    target.user,
    target.host,
    target.port,
    target.jump ? [target.jump.user, target.jump.host, target.jump.port] : null,
    o.identityFiles ?? null,
    o.knownHostsFiles,
    o.trustNewHosts,
    o.sudo,
    o.agentSocket,
    o.connectTimeoutMs,
    o.passphrase === undefined ? null : createHash('sha256').update(o.passphrase).digest('hex'),
  ]);
}

/** A jump host connection is shared by the targets behind it that agree on how to authenticate and verify. */
export function jumpKey(jump: KeeperHop, o: KeeperSshOptions): string {
  return connectionKey({ host: jump.host, port: jump.port, user: jump.user }, o);
}
