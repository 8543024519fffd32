// The inventory's shape (zod 4): defaults, then pairs of master/backup nodes, each layer overriding the last.
// Character sets here are the first line of defence against config and shell injection: every string
// that reaches a template is restricted to a token alphabet with no quotes, braces, newlines or `$`.
// zod/mini, not zod: the same checks and issues, but the full zod costs every command ~90 ms of CPU to load
// (its JSON-schema tools and ~50 locales cannot be left out of the bundle); mini loads in ~8 ms.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini has no messages of its own: the English ones, as full zod sets them, for issues without an `error`.
z.config(en());

/** `what — what to do`: the converter in validate.ts splits zod messages on the dash. */
const m = (what: string, hint: string): string => `${what} — ${hint}`;

export const IFNAME_RE = /^(?!\.\.?$)[A-Za-z0-9_.-]{1,15}$/;
export const LABEL_RE = /^[A-Za-z0-9_.:-]{1,15}$/;
export const PAIR_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
export const INSTANCE_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
export const NODE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const HOST_CHARS_RE = /^[A-Za-z0-9_.:-]{1,253}$/;
export const TEMPLATE_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const SERVICE_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const ABS_PATH_RE = /^(?!.*\/\.\.?(\/|$))\/[A-Za-z0-9_./@+-]{0,200}$/;
export const ARG_RE = /^[A-Za-z0-9_./=:,@%+-]{1,200}$/;
export const USER_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
export const JUMP_RE = /^(?:[A-Za-z_][A-Za-z0-9_.-]{0,31}@)?(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
export const URL_RE = /^https?:\/\/[A-Za-z0-9._~:/?#[\]@!&()*+,;=%-]{1,500}$/;
export const PROBE_PATH_RE = /^\/[A-Za-z0-9._~/?&=%-]{0,200}$/;
/** Local file paths on the workstation (never rendered): anything printable on one line. */
export const LOCAL_PATH_RE = /^[^\0\r\n]{1,4096}$/;

const int = (min: number, max: number, hint: string) =>
  z.number({ error: m('must be a number', hint) }).check(
    z.int({ error: m('must be a whole number', hint) }),
    z.gte(min, { error: m(`is out of range ${min}..${max}`, hint) }),
    z.lte(max, { error: m(`is out of range ${min}..${max}`, hint) }),
  );

const token = (re: RegExp, what: string, hint: string) =>
  z.string({ error: m(`must be a string (${what})`, hint) }).check(z.regex(re, { error: m(`is not a valid ${what}`, hint) }));

/** zod's preprocess: `fn` runs on the raw value before `schema` parses it. */
const preprocess = <T extends z.ZodMiniType>(fn: (v: unknown) => unknown, schema: T) => z.pipe(z.transform(fn), schema);

const noneToNull = (v: unknown): unknown => (v === 'none' || v === false ? null : v);

export const ifname = token(IFNAME_RE, 'interface name', 'use at most 15 characters from A-Z a-z 0-9 _ . - (no slash, colon or space)');

export const Auth = z.strictObject({
  type: z.literal('PASS', { error: m('is not supported', 'use type: PASS (AH authentication is deprecated by RFC 3768 and not supported)') }),
  pass: z.optional(z.string({ error: m('must be a string', 'quote it, e.g. pass: "${HAUP_WEB_PASS}"') })),
  pass_file: z.optional(token(LOCAL_PATH_RE, 'file path', 'give the path of a file holding the password')),
});

export const Check = z.strictObject({
  /** Required once the layers are merged (a pair or node may override other keys only). */
  template: z.optional(token(TEMPLATE_RE, 'check template name', 'use nginx, haproxy, tcp, http or the name of your own check_<name>.sh.hbs')),
  interval: z.optional(int(1, 3600, 'seconds between runs, a whole number 1..3600')),
  timeout: z.optional(int(1, 3600, 'seconds before a run counts as failed, a whole number 1..3600')),
  weight: z.optional(int(-253, 253, 'use -253..253; 0 puts the instance in FAULT when the check fails')),
  rise: z.optional(int(1, 1000, 'successes needed before the check counts as up, 1..1000')),
  fall: z.optional(int(1, 1000, 'failures needed before the check counts as down, 1..1000')),
  service: z.optional(token(SERVICE_RE, 'service name', 'use the systemd/init service name, e.g. nginx')),
  process: z.optional(token(SERVICE_RE, 'process name', 'use the process name shown in /proc/PID/comm, e.g. nginx')),
  pidfile: z.optional(token(ABS_PATH_RE, 'absolute path', 'use an absolute path such as /run/nginx.pid')),
  start: z.optional(
    z
      .array(token(ARG_RE, 'command argument', 'use plain words: letters, digits and _ . / = : , @ % + -'), { error: m('must be a list of arguments', 'e.g. start: [nginx, -c, /etc/nginx/nginx.conf]') })
      .check(z.minLength(1, { error: m('is empty', 'give the command and its arguments, or remove start') })),
  ),
  host: z.optional(token(HOST_CHARS_RE, 'host', 'use an IP address or a host name')),
  port: z.optional(int(1, 65535, 'use a TCP port 1..65535')),
  url: z.optional(token(URL_RE, 'http(s) URL', 'use http://host[:port]/path without quotes, spaces, $ or braces')),
  step_aside: z.optional(z.boolean({ error: m('must be true or false', 'true stops the VRRP daemon when the service cannot be restarted') })),
});

export const Ssh = z.strictObject({
  user: z.optional(token(USER_RE, 'user name', 'use a login name such as root')),
  port: z.optional(int(1, 65535, 'use the SSH port, usually 22')),
  key: z.optional(token(LOCAL_PATH_RE, 'file path', 'give the private key file, e.g. ~/.ssh/id_ed25519')),
  known_hosts: z.optional(token(LOCAL_PATH_RE, 'file path', 'give a known_hosts file, e.g. ~/.ssh/known_hosts')),
  jump: z.optional(token(JUMP_RE, 'jump host', 'use [user@]host[:port]')),
  sudo: z.optional(z.boolean({ error: m('must be true or false', 'set sudo: true when the SSH user is not root') })),
  connect_timeout: z.optional(int(1, 300, 'seconds to wait for the SSH connection, 1..300')),
});

/** Keys that may appear in `defaults`, in a pair and in a node; lower layers override higher ones. */
export const settingsShape = {
  engine: z.optional(z.enum(['haup', 'keepalived'], { error: m('is not an engine', 'use haup (the haup agent) or keepalived') })),
  interface: z.optional(ifname),
  advert_int: z.optional(z.number({ error: m('must be a number', 'seconds between adverts: 1..255 for VRRPv2, 0.01..40.95 for VRRPv3') })),
  vrrp_version: z.optional(z.literal([2, 3], { error: m('is not a VRRP version', 'use 2 (RFC 3768) or 3 (RFC 5798)') })),
  preempt: z.optional(z.boolean({ error: m('must be true or false', 'false renders nopreempt: a returning master does not take the VIP back') })),
  preempt_delay: z.optional(int(0, 1000, 'seconds before preempting, 0..1000')),
  auth: z.optional(preprocess(noneToNull, z.nullable(Auth))),
  check: z.optional(preprocess(noneToNull, z.nullable(Check))),
  ssh: z.optional(Ssh),
  unicast: z.optional(z.boolean({ error: m('must be true or false', 'true sends adverts to the peer by unicast instead of multicast') })),
};

export const Settings = z.strictObject(settingsShape);

export const Vip = preprocess(
  (v) => (typeof v === 'string' ? { address: v } : v),
  z.strictObject(
    {
      address: z.string({ error: m('must be a string', 'e.g. address: 192.168.0.174 or 192.168.0.174/24') }),
      dev: z.optional(ifname),
      label: z.optional(token(LABEL_RE, 'address label', 'use <dev>:<suffix>, at most 15 characters, e.g. eth0:0')),
    },
    { error: m('must be an address or a map', 'use "192.168.0.174/24" or { address: 192.168.0.174, dev: eth0, label: eth0:0 }') },
  ),
);

export const Node = z.strictObject(
  {
    ...settingsShape,
    host: token(HOST_CHARS_RE, 'host', 'use the IP address or DNS name haup connects to'),
    name: z.optional(token(NODE_NAME_RE, 'node name', 'use letters, digits and _ . - (it names the output folder)')),
    priority: int(1, 255, 'use 1..254 (the master above the backup); 255 only for the address owner'),
    state: z.optional(z.enum(['MASTER', 'BACKUP'], { error: m('is not a state', 'use MASTER or BACKUP, or leave it out so haup picks it') })),
  },
  { error: m('must be a map', 'give { host: ..., priority: ... }') },
);

export const Probe = z.strictObject({
  type: z.enum(['http', 'tcp', 'ping'], { error: m('is not a probe type', 'use http, tcp or ping') }),
  port: z.optional(int(1, 65535, 'use a TCP port 1..65535')),
  path: z.optional(token(PROBE_PATH_RE, 'URL path', 'use a path such as /')),
});

export const Pair = z.strictObject(
  {
    ...settingsShape,
    name: token(PAIR_NAME_RE, 'pair name', 'use up to 32 letters, digits and _ . - starting with a letter or digit'),
    instance: z.optional(token(INSTANCE_RE, 'instance name', 'use letters, digits and _ . : -, e.g. VI_1')),
    vrid: int(1, 255, 'use a virtual_router_id 1..255, unique per interface segment'),
    vips: z
      .array(Vip, { error: m('must be a list', 'e.g. vips: ["192.168.0.174/24"]') })
      .check(z.minLength(1, { error: m('is empty', 'give at least one virtual IP') })),
    master: Node,
    backup: Node,
    probe: z.optional(Probe),
  },
  { error: m('must be a map', 'each pair needs name, vrid, vips, master and backup') },
);

export const Inventory = z.strictObject(
  {
    templates: z.optional(token(LOCAL_PATH_RE, 'folder path', 'give a folder of *.hbs templates, relative to the inventory')),
    defaults: z.optional(Settings),
    pairs: z.array(Pair, { error: m('must be a list', 'list the pairs under pairs:') }).check(z.minLength(1, { error: m('is empty', 'add at least one pair') })),
  },
  { error: m('must be a map', 'an inventory has defaults: and pairs:') },
);

export type RawSettings = z.infer<typeof Settings>;
export type RawNode = z.infer<typeof Node>;
export type RawPair = z.infer<typeof Pair>;
export type RawInventory = z.infer<typeof Inventory>;
export type RawCheck = z.infer<typeof Check>;
export type RawSsh = z.infer<typeof Ssh>;
export type RawAuth = z.infer<typeof Auth>;
