// Bundles the CLI (ESM, Node >= 20) and the agent (one CJS file, Node >= 18) with esbuild, and
// checks the import rule of STYLE.md §1: agent/ never imports cli/ or CLI-only packages.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

const CLI_ONLY = ['yargs', 'listr2', 'ssh2', 'handlebars', 'yaml', 'zod'];

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'build' || name === 'node_modules') return [];
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function checkImports() {
  const bad = [];
  for (const file of walk('agent')) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)['"]([^'"]+)['"]/g)) {
      const spec = m[1];
      if (spec.includes('/cli/') || spec.startsWith('../cli') || CLI_ONLY.some((p) => spec === p || spec.startsWith(`${p}/`))) {
        bad.push(`${file}: imports ${spec} (the agent ships alone to nodes and may not depend on the CLI)`);
      }
    }
  }
  if (bad.length) {
    console.error(bad.join('\n'));
    process.exit(1);
  }
}

checkImports();
if (process.argv.includes('--check-imports')) process.exit(0);

const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
const define = { 'process.env.HAUP_VERSION': JSON.stringify(version) };

// The CLI bundles its dependencies too: resolving and loading node_modules one file at a time cost ~0.4 s of every
// command's start-up. Splitting keeps each command's code (and ssh2, listr2, handlebars) in chunks loaded only
// when that command runs. Chunks sit next to haup.js, so import.meta.url-relative paths stay the same.
rmSync('dist/cli', { recursive: true, force: true });
await build({
  entryPoints: { haup: 'cli/main.ts' },
  outdir: 'dist/cli',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // ssh2's optional native crypto binding and cpu-features: ssh2 falls back to node:crypto without them.
  external: ['cpu-features', '*.node'],
  sourcemap: true,
  define,
  // CommonJS dependencies (ssh2, handlebars) call require() for node: builtins and read __dirname.
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __haupCreateRequire } from 'node:module';",
      "import { fileURLToPath as __haupFileURLToPath } from 'node:url';",
      'const require = __haupCreateRequire(import.meta.url);',
      'var __filename = __haupFileURLToPath(import.meta.url);',
      "var __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join('\n'),
  },
});
chmodSync('dist/cli/haup.js', 0o755);

await build({
  entryPoints: ['agent/main.ts'],
  outfile: 'dist/agent/haup-agent.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  define,
  banner: { js: '#!/usr/bin/env node' },
});
chmodSync('dist/agent/haup-agent.cjs', 0o755);

const addon = 'agent/native/build/Release/haup_raw.node';
mkdirSync('dist/agent', { recursive: true });
if (existsSync(addon)) copyFileSync(addon, 'dist/agent/haup_raw.node');
else console.warn(`warning: ${addon} is missing; run "npm ci" (it builds the addon with node-gyp)`);
