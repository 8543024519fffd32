// Bundles the CLI (ESM, Node >= 20) and the agent (one CJS file, Node >= 18) with esbuild, and
// checks the import rule of STYLE.md §1: agent/ never imports cli/ or CLI-only packages.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, chmodSync } from 'node:fs';
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

await build({
  entryPoints: ['cli/main.ts'],
  outfile: 'dist/cli/haup.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  define,
  banner: { js: '#!/usr/bin/env node' },
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
