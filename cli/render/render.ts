// Renders an inventory model into the exact files deploy pushes, per host. Pure: template texts come
// in as data (see templates.ts for reading them), rendered files go out as data.
import { HaupError } from '../errors.js';
import type { HostModel, InventoryModel } from '../inventory/model.js';
import { COMPILE_OPTIONS, createHandlebars, type HandlebarsEnv } from './handlebars-env.js';
import { checkView, findUnsafe, keepalivedView, unitView, VIEW_UNSAFE } from './view.js';

export interface TemplateSource {
  /** File name, e.g. keepalived.conf.hbs; names starting with `_` are partials (`_check-flow.sh.hbs` -> `check-flow`). */
  name: string;
  text: string;
  /** Where it came from, for messages (a file path). */
  origin: string;
  /** Handlebars.precompile(text, COMPILE_OPTIONS) from the build, when the text is one it knew (templates.ts). */
  precompiled?: TemplateSpecification | undefined;
}

export type TemplateSet = ReadonlyMap<string, TemplateSource>;

export type FileKind = 'config' | 'script' | 'unit';

export interface RenderedFile {
  /** Host id (node name, or host address): the output folder. */
  host: string;
  /** Absolute path on the node. */
  path: string;
  /** 0o600 configs (they may hold auth_pass), 0o755 scripts, 0o644 units. */
  mode: number;
  kind: FileKind;
  /** Name of the template it came from. */
  template: string;
  content: string;
}

export const MODES: Readonly<Record<FileKind, number>> = { config: 0o600, script: 0o755, unit: 0o644 };

type Compiled = (view: unknown) => string;

/** Compiled templates are kept per template set, so rendering host by host compiles each once. */
const renderers = new WeakMap<TemplateSet, Renderer>();

function rendererFor(templates: TemplateSet): Renderer {
  let r = renderers.get(templates);
  if (!r) renderers.set(templates, (r = new Renderer(templates)));
  return r;
}

export function renderInventory(model: InventoryModel, templates: TemplateSet): RenderedFile[] {
  const renderer = rendererFor(templates);
  return model.hosts.flatMap((h) => renderer.host(h));
}

export function renderHost(host: HostModel, templates: TemplateSet): RenderedFile[] {
  return rendererFor(templates).host(host);
}

class Renderer {
  private readonly hb: HandlebarsEnv;
  private readonly cache = new Map<string, Compiled>();

  constructor(private readonly templates: TemplateSet) {
    this.hb = createHandlebars();
    for (const t of templates.values()) {
      if (!t.name.startsWith('_')) continue;
      const name = t.name.slice(1).replace(/\.hbs$/, '').replace(/\.[^.]*$/, '');
      // A text partial compiles on first use with the calling template's options: COMPILE_OPTIONS, as precompiled.
      this.hb.registerPartial(name, t.precompiled ? this.hb.template(t.precompiled) : t.text);
    }
  }

  host(h: HostModel): RenderedFile[] {
    const files: RenderedFile[] = [];
    files.push(this.file(h, 'keepalived.conf.hbs', h.paths.config, 'config', keepalivedView(h)));
    for (const s of h.scripts) files.push(this.file(h, `check_${s.check.template}.sh.hbs`, s.path, 'script', checkView(h, s)));
    if (h.paths.unit !== null) files.push(this.file(h, 'haup-agent.service.hbs', h.paths.unit, 'unit', unitView(h)));
    return files;
  }

  private file(h: HostModel, template: string, path: string, kind: FileKind, view: unknown): RenderedFile {
    const bad = findUnsafe(view, VIEW_UNSAFE[kind]);
    if (bad) {
      throw new HaupError('HAUP_TEMPLATE', `refusing to render ${template} for ${h.id}: ${bad} holds a character that could inject into the file`, {
        hint: 'this is a bug in inventory validation; please report it with the inventory',
      });
    }
    const compiled = this.compile(template);
    let content: string;
    try {
      content = compiled(view);
    } catch (err) {
      throw templateError(this.templates.get(template)?.origin ?? template, err, h.id);
    }
    return { host: h.id, path, mode: MODES[kind], kind, template, content };
  }

  private compile(name: string): Compiled {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const source = this.templates.get(name);
    if (!source) {
      const known = [...this.templates.keys()].filter((n) => n.startsWith('check_')).map((n) => n.replace(/^check_|\.sh\.hbs$/g, ''));
      throw new HaupError('HAUP_TEMPLATE', `template ${name} not found`, {
        hint: name.startsWith('check_')
          ? `add ${name} to your templates folder, or use a check template that exists: ${known.join(', ')}`
          : `add ${name} to your templates folder (copy it from haup's templates/)`,
      });
    }
    // A runtime-only environment (no template of the set needed compiling when it was loaded) has no compile().
    if (!source.precompiled && typeof this.hb.compile !== 'function') throw new Error(`internal: ${name} needs Handlebars' compiler; load template sets with loadTemplates()`);
    // Handlebars compiles lazily: syntax errors surface on the first call, wrapped by file().
    const fn: Compiled = source.precompiled ? this.hb.template(source.precompiled) : this.hb.compile(source.text, COMPILE_OPTIONS);
    this.cache.set(name, fn);
    return fn;
  }
}

function templateError(origin: string, err: unknown, host: string | null): HaupError {
  const msg = err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
  const missing = /^"?([^"]+)"? not defined in/.exec(msg);
  return new HaupError('HAUP_TEMPLATE', `${origin}${host ? ` (for ${host})` : ''}: ${missing ? `unknown variable or helper "${missing[1]}"` : msg}`, {
    hint: missing ? 'templates may use only the variables listed in README "Template reference" (templates are strict)' : 'fix the template syntax',
    cause: err,
  });
}
