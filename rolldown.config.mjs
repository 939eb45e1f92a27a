/**
 * Bundles the wizard (tsc's dist/screens output) into dist/wizard/: a few large files load much faster than
 * hundreds of small ESM modules plus cjs-module-lexer work on React/Ink. Inlined: ink, react, terminal-link,
 * react-reconciler, @inkjs/ui, yoga-layout and their dependencies. Left as imports: dist/src (our core runs
 * from its own files: workers via import.meta.url, wasm, native modules) and Node built-ins.
 * React.lazy screens (screens/registry.tsx) and the standalone tune screen stay separate chunks.
 *   rolldown -c rolldown.config.mjs   (after tsc; see package.json "prepare" and "test")
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const coreDir = resolve(here, 'dist/src') + sep;
const builtins = new Set(builtinModules);
// Only the wizard's UI packages may be inlined; any other bare import found in the screens is an error
// (add it here after checking it has no native code, wasm file or path tricks, or make it external).
const inlined = ['ink', 'react', '@inkjs/ui', 'terminal-link'];

export default defineConfig({
  input: {
    open: 'dist/screens/open.js',
  },
  platform: 'node',
  external(id, importer) {
    if (id.startsWith('node:') || builtins.has(id)) return true;
    // Ink's optional devtools (only with DEV=true): not installed; Ink reports the failed import itself.
    if (id === 'react-devtools-core') return true;
    if (id.startsWith('.') && importer) return resolve(dirname(importer), id).startsWith(coreDir);
    if (id.startsWith('/')) return id.startsWith(coreDir);
    return false;
  },
  plugins: [
    {
      // Ink's reconciler reads its own package.json next to it (only with DEV=true, for React devtools);
      // bundled, that path would point into dist/. Inline the two fields it uses instead.
      name: 'edgewise-ink-package-json',
      transform(code, id) {
        if (!/[\\/]node_modules[\\/]ink[\\/]build[\\/]reconciler\.js$/.test(id)) return null;
        const read = "fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')";
        if (!code.includes(read)) this.error(`${id} no longer reads its package.json as rolldown.config.mjs expects: check it`);
        const { name, version } = JSON.parse(readFileSync(resolve(dirname(id), '../package.json'), 'utf8'));
        return { code: code.replace(read, JSON.stringify(JSON.stringify({ name, version }))), map: null };
      },
    },
    {
      name: 'edgewise-only-ui-packages',
      resolveId(id, importer) {
        if (!importer || id.startsWith('.') || id.startsWith('/') || id.startsWith('node:') || builtins.has(id)) return null;
        if (!importer.startsWith(resolve(here, 'dist/screens') + sep)) return null;
        if (inlined.some((p) => id === p || id.startsWith(`${p}/`))) return null;
        this.error(`screens import "${id}" from ${importer}: add it to 'inlined' in rolldown.config.mjs, or make it external there`);
      },
    },
  ],
  output: {
    dir: 'dist/wizard',
    // Chunk names carry hashes: drop the previous build's files.
    cleanDir: true,
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    sourcemap: false,
  },
});
