// Handlebars templates precompiled at build time: build.mjs replaces this module in the bundle with haup's
// templates/*.hbs, each with its exact text and compiled form. From source it is empty and every template compiles.

/** A template's text and what Handlebars.precompile(text, options) made of it, as a live object. */
export interface PrecompiledTemplate {
  text: string;
  spec: TemplateSpecification;
}

/** The compile options the table was made with; it is used only if they equal COMPILE_OPTIONS. */
export const PRECOMPILED_OPTIONS: Readonly<Record<string, unknown>> = {};

/** By file name (keepalived.conf.hbs, _check-flow.sh.hbs, ...). */
export const PRECOMPILED: ReadonlyMap<string, PrecompiledTemplate> = new Map();
