// ESLint flat config. Folders are layers and imports only go down (STYLE.md, DESIGN.md):
//
//   main/sim           pure, deterministic: imports nothing outside main/sim, no host APIs
//   main/contract.ts   types, LAB_METHODS and designOf; may take types from main/sim, and main/sim/design.ts (pure)
//   main/trace         + main/sim, main/contract, node builtins, better-sqlite3
//   main/lab           + main/trace, main/sim, main/contract, node
//   main/cli, main/web thin adapters over main/lab (through main/lab/index.ts only) and main/contract (types from sim/trace)
//   main/*.ts, others  Electron main side: anything in main/, never renderer/preload/test/bench
//   preload            electron + main/contract (its types and LAB_METHODS)
//   renderer           main/contract (its types and LAB_METHODS); never node, electron or other main/**
//   test, bench        anything
//
// Relative imports are checked by where they land, not by how they are spelled: the layer
// patterns below are generated per folder depth, so `../lab/x` is refused from main/trace/a.ts
// (it lands in main/lab) but allowed from main/lab/sub/b.ts (it stays in main/lab).
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';

const TS = '{ts,mts,cts,tsx}';
// .vue included: a single-file component's <script> is source like any other (layer rules apply).
const SOURCE = '{ts,mts,cts,tsx,js,mjs,cjs,vue}';
/** Layer folders are checked this many folders deep below their root; deeper files are not. */
const MAX_DEPTH = 8;

// ---------------------------------------------------------------------------------------------
// Where does a relative import land?

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const UP = String.raw`(?:\.\.(?:/|$))`;
const NOT_UP = String.raw`(?!\.\.(?:/|$))`;
/** Start of a relative specifier that goes up exactly `k` folders (`./`, `../`, `../../`...). */
const up = (k) => (k === 0 ? String.raw`^\.(?:/|$)${NOT_UP}` : String.raw`^(?:\./)?${UP}{${k}}${NOT_UP}`);
/** Path segments, the last one followed by an extension, a subpath or the end. */
const segs = (parts) => `${parts.map(escapeRe).join('/')}(?:[./]|$)`;
const isPrefix = (prefix, parts) => prefix.length <= parts.length && prefix.every((p, i) => p === parts[i]);

/**
 * A regex source that matches relative specifiers which, written in a file whose folder is
 * `fromDir` (segments from the repository root; '*' = any folder below the layer's own),
 * resolve to `target` or below it (root-relative; '' = the whole repository) but not into any
 * path in `except`. Returns null if nothing can match.
 */
function landsIn(fromDir, target, except = []) {
  const t = target ? target.split('/') : [];
  const ex = except.map((e) => e.split('/'));
  const alts = [];
  for (let k = 0; k <= fromDir.length; k++) {
    const base = fromDir.slice(0, fromDir.length - k);
    if (base.includes('*')) {
      // Still inside the file's own layer folder: in the target only if the whole folder is.
      const known = base.filter((s) => s !== '*');
      if (isPrefix(t, known) && !ex.some((e) => isPrefix(e, known))) alts.push(up(k));
      continue;
    }
    if (ex.some((e) => isPrefix(e, base))) continue; // going up k lands inside an exception
    const guards = ex.filter((e) => isPrefix(base, e)).map((e) => `(?!${segs(e.slice(base.length))})`);
    if (isPrefix(base, t)) {
      const rest = t.slice(base.length);
      alts.push(up(k) + guards.join('') + (rest.length ? segs(rest) : ''));
    } else if (isPrefix(t, base)) {
      alts.push(up(k) + guards.join(''));
    }
  }
  return alts.length ? alts.map((a) => `(?:${a})`).join('|') : null;
}

/** Relative specifiers that climb out of the repository. */
const outsideRepo = (fromDir) => String.raw`^(?:\./)?${UP}{${fromDir.length + 1}}`;

// ---------------------------------------------------------------------------------------------
// Bare specifiers (packages and builtins)

const NODE_BUILTINS = String.raw`^(?:node:|(?:${builtinModules.map(escapeRe).join('|')})(?:/|$))`;
const bare = {
  any: { regex: String.raw`^(?!\.\.?(?:/|$))`, what: 'packages or node builtins' },
  node: { regex: NODE_BUILTINS, what: 'node builtins' },
  electron: { regex: String.raw`^(?:electron|@electron/[^/]+)(?:/|$)`, what: 'electron' },
  sqlite: { regex: String.raw`^better-sqlite3(?:/|$)`, what: 'better-sqlite3' },
  anyButElectron: { regex: String.raw`^(?!\.\.?(?:/|$)|electron(?:/|$))`, what: 'packages other than electron' },
};

// ---------------------------------------------------------------------------------------------
// The layers

/**
 * @typedef {object} Layer
 * @property {string} name       how messages name it
 * @property {string[]} files    globs relative to `dir`
 * @property {string} dir        the folder its files sit in
 * @property {string} [self]     what counts as "itself" (default: dir)
 * @property {string[]} [allow]  allow-list: only these (and itself) may be imported
 * @property {string[]} [deny]   deny-list: these may not be imported (instead of allow)
 * @property {string[]} [typeOnly] may be imported with `import type` only
 * @property {(keyof typeof bare)[]} [bareDeny]
 * @property {boolean} [nested]  files live in subfolders too (checked to MAX_DEPTH)
 */

const WHY = 'Imports only go down (DESIGN.md)';

/** @type {Layer[]} */
const LAYERS = [
  {
    // Catch-all for the Electron main side (main/index.ts, main/ipc.ts, future folders).
    name: 'main', dir: 'main', files: ['**'], nested: true,
    deny: ['renderer', 'preload', 'test', 'bench'],
  },
  {
    name: 'main/contract.ts', dir: 'main', self: 'main/contract', files: ['contract.ts'],
    // Its one value from main/sim: designOf (design.ts imports nothing), which the renderer shares.
    allow: ['main/sim/design'], typeOnly: ['main/sim'], bareDeny: ['any'],
  },
  {
    name: 'main/sim', dir: 'main/sim', files: ['**'], nested: true,
    allow: [], bareDeny: ['any'],
  },
  {
    name: 'main/trace', dir: 'main/trace', files: ['**'], nested: true,
    allow: ['main/sim', 'main/contract'], bareDeny: ['electron'],
  },
  {
    name: 'main/lab', dir: 'main/lab', files: ['**'], nested: true,
    allow: ['main/trace', 'main/sim', 'main/contract'], bareDeny: ['electron'],
  },
  ...['main/cli', 'main/web'].map((dir) => ({
    name: dir, dir, files: ['**'], nested: true,
    // Adapters never import each other: main/sva-lab.ts hands the web server to the CLI for `serve`.
    allow: ['main/lab', 'main/contract'],
    typeOnly: ['main/sim', 'main/trace'], bareDeny: ['electron'],
  })),
  {
    // main/contract.ts is types and two values: LAB_METHODS (from which the bridge is made) and designOf.
    name: 'preload', dir: 'preload', files: ['**'], nested: true,
    allow: ['main/contract'], bareDeny: ['anyButElectron'],
  },
  {
    name: 'renderer', dir: 'renderer', files: ['**'], nested: true,
    allow: ['main/contract'], bareDeny: ['node', 'electron', 'sqlite'],
  },
];

/** esquery cannot read '/' inside a regex literal; \u002F is the same character to RegExp. */
const selectorRe = (re) => `/${re.replaceAll('/', '\\u002F')}/`;

/** `no-restricted-imports` patterns + dynamic-import selectors for one layer at one depth. */
function layerRules(layer, fromDir) {
  const self = layer.self ?? layer.dir;
  const patterns = [];
  const add = (regex, message, allowTypeImports = false) => {
    if (regex) patterns.push({ regex, message, caseSensitive: true, ...(allowTypeImports ? { allowTypeImports } : {}) });
  };
  add(outsideRepo(fromDir), `${layer.name}: this import leaves the repository.`);
  if (layer.allow) {
    const ok = [self, ...layer.allow];
    const typeOnly = layer.typeOnly ?? [];
    const may = [...layer.allow, ...typeOnly.map((t) => `${t} (types only)`)];
    add(
      landsIn(fromDir, '', [...ok, ...typeOnly]),
      `${WHY}: ${layer.name} may import ${may.length ? may.join(', ') : 'nothing outside itself'}.`,
    );
    for (const t of typeOnly) {
      add(landsIn(fromDir, t, ok), `${WHY}: ${layer.name} may import ${t} with \`import type\` only.`, true);
    }
  }
  for (const d of layer.deny ?? []) {
    add(landsIn(fromDir, d), `${WHY}: ${layer.name} must not import ${d}.`);
  }
  for (const b of layer.bareDeny ?? []) {
    add(bare[b].regex, `${layer.name} must not import ${bare[b].what}.`);
  }
  const dynamic = patterns.map(({ regex, message }) => ({
    selector: `ImportExpression[source.value=${selectorRe(regex)}]`,
    message,
  }));
  return { patterns, dynamic };
}

// main/sim: no host, no clock, no randomness. Time and randomness come from the Sim.
const SIM_GLOBALS = [
  ['Date', 'main/sim has no wall clock: use the Sim\'s virtual time (integer ns).'],
  ['performance', 'main/sim has no wall clock: use the Sim\'s virtual time (integer ns).'],
  ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate',
    'queueMicrotask', 'requestAnimationFrame'].map((n) => [n, 'main/sim does not use host timers: schedule an event on the Sim.']),
  ['crypto', 'main/sim has no host randomness: use the seeded RNG streams.'],
  ...['process', 'window', 'document', 'globalThis', 'global', 'self', 'navigator', 'require', 'module',
    '__dirname', '__filename', 'Buffer', 'fetch', 'Worker', 'MessageChannel'].map((n) => [n, `main/sim is pure: no host objects (\`${n}\`).`]),
  ...['WeakRef', 'FinalizationRegistry'].map((n) => [n, `main/sim must be deterministic: \`${n}\` depends on garbage collection.`]),
].map(([name, message]) => ({ name, message }));

const SIM_EXTRA = {
  'no-restricted-globals': ['error', { globals: SIM_GLOBALS, checkGlobalObject: true }],
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: 'main/sim has no host randomness: use the seeded RNG streams.' },
  ],
  syntax: [
    { selector: 'ImportExpression', message: 'main/sim is loaded statically: no dynamic `import()`.' },
    { selector: "MetaProperty[meta.name='import']", message: 'main/sim is pure: no `import.meta` (it is host-specific).' },
    { selector: 'TSImportType[argument.literal.value=/^(?!\\.)/]', message: 'main/sim must not refer to types of packages or node builtins.' },
  ],
};

/** One flat-config object per layer and folder depth (an object's options replace, not merge). */
function layerConfigs(layer) {
  const depths = layer.nested ? MAX_DEPTH : 0;
  const out = [];
  for (let e = 0; e <= depths; e++) {
    const fromDir = [...layer.dir.split('/'), ...Array(e).fill('*')];
    const files = layer.files.map((f) =>
      f === '**' ? `${layer.dir}/${'*/'.repeat(e)}*.${SOURCE}` : `${layer.dir}/${f}`,
    );
    const { patterns, dynamic } = layerRules(layer, fromDir);
    const isSim = layer.dir === 'main/sim';
    out.push({
      name: `sva-lab/layers/${layer.name}/depth-${e}`,
      files,
      rules: {
        'no-restricted-imports': ['error', { patterns }],
        'no-restricted-syntax': ['error', ...dynamic, ...(isSim ? SIM_EXTRA.syntax : [])],
        ...(isSim
          ? {
              'no-restricted-globals': SIM_EXTRA['no-restricted-globals'],
              'no-restricted-properties': SIM_EXTRA['no-restricted-properties'],
            }
          : {}),
      },
    });
  }
  return out;
}

// Renderer code runs in a sandboxed web page: no Node globals either.
const RENDERER_GLOBALS = ['process', 'require', 'module', 'Buffer', 'global', '__dirname', '__filename'].map(
  (name) => ({ name, message: `renderer runs in a web page: no Node globals (\`${name}\`); ask main through window.lab.` }),
);

// Plain Node scripts (bin/, scripts/, config files written in JS).
const NODE_GLOBALS = Object.fromEntries(
  ['process', 'console', 'URL', 'URLSearchParams', 'Buffer', 'setTimeout', 'clearTimeout', 'setInterval',
    'clearInterval', 'setImmediate', 'structuredClone', 'AbortController', 'TextEncoder', 'TextDecoder']
    .map((n) => [n, 'readonly']),
);

// ---------------------------------------------------------------------------------------------
// Boundaries inside a layer, checked on the resolved path of every relative import (static,
// dynamic, re-export), and the test tree mirroring the source tree.

const ROOT = import.meta.dirname;
const rel = (file) => path.relative(ROOT, file).split(path.sep).join('/');
const under = (p, dir) => p === dir || p.startsWith(`${dir}/`) || p.startsWith(`${dir}.`);

/** [who imports (a path test), what it must not import (a path test), the message]. */
const BOUNDARIES = [
  // Adapters never import each other (README): Electron main (main/index.ts, main/ipc.ts), the
  // CLI, the web server. main/sva-lab.ts is the command's entry point that joins CLI and web.
  [(f) => f === 'main/ipc.ts' || f === 'main/index.ts', (t) => under(t, 'main/web') || under(t, 'main/cli'),
    'Adapters never import each other: the Electron main side (main/index.ts, main/ipc.ts) must not import main/web or main/cli; what they share lives in main/lab.'],
  [(f) => under(f, 'main/cli'), (t) => under(t, 'main/web') || t === 'main/ipc' || t === 'main/index',
    'Adapters never import each other: main/cli must not import main/web or the Electron main side (main/sva-lab.ts hands the CLI the web server).'],
  [(f) => under(f, 'main/web'), (t) => under(t, 'main/cli') || t === 'main/ipc' || t === 'main/index',
    'Adapters never import each other: main/web must not import main/cli or the Electron main side; what they share lives in main/lab.'],
  // The lab's one door: an adapter reaches main/lab through main/lab/index.ts (createLab and the
  // pure helpers the adapters share), never into one of its modules.
  [(f) => under(f, 'main/cli') || under(f, 'main/web') || f === 'main/ipc.ts' || f === 'main/index.ts',
    (t) => under(t, 'main/lab') && t !== 'main/lab' && t !== 'main/lab/index',
    'The lab has one door: an adapter (main/cli, main/web, main/ipc.ts, main/index.ts) imports main/lab only through main/lab/index.ts; export what it needs from there.'],
  // The trace's connection is private to main/trace: every query is a reader method.
  [(f) => !under(f, 'main/trace') && !under(f, 'test') && !under(f, 'bench'), (t) => t === 'main/trace/db',
    'main/trace/db.ts (the SQLite connection) is private to main/trace: ask TraceReader (main/trace/reader.ts), which answers in the contract\'s DTOs.'],
  // Base* components are presentational: data comes in as props, changes go out as events.
  [(f) => /^renderer\/src\/components\/Base[^/]*$/.test(f), (t) => under(t, 'renderer/src/stores'),
    'Base* components never import a store: take the data as props and emit events (STYLE.md).'],
];

/** Source roots a test folder mirrors: test/<x>/... ↔ main/<x>/..., test/renderer/... ↔ renderer/src/.... */
function mirrorOf(testFile) {
  const parts = rel(testFile).split('/').slice(1, -1); // folders below test/
  if (parts[0] === 'renderer') return path.join(ROOT, 'renderer/src', ...parts.slice(1));
  return path.join(ROOT, 'main', ...parts);
}

const svaLab = {
  rules: {
    boundaries: {
      meta: { type: 'problem', schema: [] },
      create(context) {
        const from = rel(context.filename);
        const rules = BOUNDARIES.filter(([who]) => who(from));
        if (rules.length === 0) return {};
        const check = (node, spec) => {
          if (typeof spec !== 'string' || !spec.startsWith('.')) return;
          const to = rel(path.resolve(path.dirname(context.filename), spec)).replace(/\.(ts|mts|js|mjs|vue)$/, '');
          for (const [, what, message] of rules) if (what(to)) context.report({ node, message });
        };
        const src = (node) => check(node, node.source?.value);
        return { ImportDeclaration: src, ExportNamedDeclaration: src, ExportAllDeclaration: src, ImportExpression: src };
      },
    },
    'test-mirrors-source': {
      meta: { type: 'problem', schema: [] },
      create(context) {
        return {
          Program(node) {
            const dir = mirrorOf(context.filename);
            if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
              context.report({ node, message: `Tests mirror the source tree: ${rel(context.filename)} tests nothing in ${rel(dir)}/, which does not exist; move it next to the folder of the source it tests.` });
            }
          },
        };
      },
    },
  },
};

const UNUSED = { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' };

export default defineConfig([
  globalIgnores([
    'out/', 'node_modules/', '.bench/', '.ci-out/', 'coverage/', 'traces/', 'test-results/', 'playwright-report/',
  ]),
  js.configs.recommended,
  {
    files: [`**/*.${TS}`],
    extends: [tseslint.configs.recommended],
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: NODE_GLOBALS },
  },
  // Vue single-file components: the essential (error-preventing) rules of eslint-plugin-vue, the
  // same TypeScript rules as .ts files, <script lang="ts"> parsed by typescript-eslint.
  {
    files: ['**/*.vue'],
    extends: [tseslint.configs.recommended],
  },
  ...pluginVue.configs['flat/essential'],
  {
    name: 'sva-lab/vue',
    files: ['**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
    },
    // vue-tsc checks names against the DOM types, as tsc does for .ts files (where
    // typescript-eslint turns no-undef off for the same reason).
    rules: { '@typescript-eslint/no-unused-vars': ['error', UNUSED], 'no-undef': 'off' },
  },
  {
    name: 'sva-lab/unused',
    files: [`**/*.${TS}`],
    // `_name` marks a deliberately unused parameter or binding.
    rules: { '@typescript-eslint/no-unused-vars': ['error', UNUSED] },
  },
  {
    name: 'sva-lab/unused-js',
    files: ['**/*.{js,mjs,cjs}'],
    rules: { 'no-unused-vars': ['error', UNUSED] },
  },
  ...LAYERS.flatMap(layerConfigs),
  {
    name: 'sva-lab/boundaries',
    files: [`**/*.${SOURCE}`],
    plugins: { 'sva-lab': svaLab },
    rules: { 'sva-lab/boundaries': 'error' },
  },
  {
    name: 'sva-lab/test-tree',
    files: [`test/**/*.test.${TS}`],
    plugins: { 'sva-lab': svaLab },
    rules: { 'sva-lab/test-mirrors-source': 'error' },
  },
  {
    name: 'sva-lab/renderer-globals',
    files: [`renderer/**/*.${SOURCE}`],
    rules: { 'no-restricted-globals': ['error', ...RENDERER_GLOBALS] },
  },
]);
