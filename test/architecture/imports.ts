import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** One import in a source file: who imports, what (the path relative to the root, `/`-separated). */
export interface ImportEdge {
  from: string;
  to: string;
}

/** Static imports, `export … from`, side-effect imports, dynamic `import()` and `typeof import()` types. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every relative import between the project's own files under `folders` of `root` (packages are left out). */
export function projectImports(root: string, folders: string[]): ImportEdge[] {
  const rel = (p: string) => relative(root, p).split(sep).join('/');
  const edges: ImportEdge[] = [];
  for (const folder of folders) {
    for (const file of sourceFiles(join(root, folder))) {
      for (const m of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
        const spec = m[1]!;
        if (!spec.startsWith('.')) continue;
        // Sources import their siblings as .js (NodeNext); the file on disk is .ts or .tsx.
        edges.push({ from: rel(file), to: rel(resolve(dirname(file), spec)).replace(/\.js$/, '') });
      }
    }
  }
  return edges;
}

/**
 * The layers, lowest first: the domain (src/ outside src/cli: steps, no UI) below two front ends, the plain CLI
 * (src/cli, with the demo) and the Ink screens (screens/). Nothing imports a layer above it, and the two front
 * ends do not import each other, except the CLI's one door to the screens (`src/cli/open-screens.ts`, which
 * opens the wizard and the tuning screen). Within the registry, the store backends share row code through
 * rows.ts and only the factory (open-store.ts) loads them.
 */
export function layerViolations(root: string): string[] {
  const layer = (p: string) => (p.startsWith('src/cli/') ? 'cli' : p.startsWith('screens/') ? 'screens' : p.startsWith('src/') ? 'domain' : 'other');
  const backend = /^src\/registry\/(sqlite|postgres)-store$/;
  const bad: string[] = [];
  for (const { from, to } of projectImports(root, ['src', 'screens'])) {
    const a = layer(from);
    const b = layer(to);
    if (a === 'domain' && (b === 'cli' || b === 'screens')) bad.push(`${from} imports ${to} (domain code must not import a front end)`);
    if (a === 'screens' && b === 'cli') bad.push(`${from} imports ${to} (screens must not import the CLI)`);
    if (a === 'cli' && b === 'screens' && from !== 'src/cli/open-screens.ts') bad.push(`${from} imports ${to} (the CLI opens screens only through src/cli/open-screens.ts)`);
    if (backend.test(to.replace(/\.tsx?$/, '')) && from !== 'src/registry/open-store.ts') bad.push(`${from} imports ${to} (store backends are loaded only by src/registry/open-store.ts)`);
  }
  return bad;
}
