import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * The layers of src/ (docs/ARCHITECTURE.md draws them). Each entry: a folder or module of src/, and
 * what else in src/ it may import. Anything not listed is refused by `import-x/no-restricted-paths`,
 * so an arrow that runs upward (or sideways between two services) fails `npm run lint`.
 */
const BASE = ['config.ts', 'log.ts', 'progress.ts', 'slices.ts', 'canonical.ts', 'thread-module.ts', 'thread-priority.ts'];
const LAYERS = {
  'config.ts': [],
  // Cairn's canonical base: set once at start-up, read wherever a Cairn URL is written or read.
  'canonical.ts': [],
  'log.ts': [],
  'progress.ts': ['log.ts'],
  // Main-thread work of a long job a slice at a time, with turns of the event loop for the hooks.
  'slices.ts': [],
  // Where a worker thread's module is (dist/ or source): the embedding pool and the database thread.
  'thread-module.ts': [],
  // A background thread's scheduling priority (Linux nice): the embedding threads yield to the hooks.
  'thread-priority.ts': [],
  // Clinical text reads nothing of the rest of src but the PatientContext's vocabulary of series
  // (the QuantityKey type, erased at run time), so an analyte can name the series it is.
  text: ['fhir/context/types.ts'],
  db: BASE,
  fhir: BASE,
  search: [...BASE, 'db', 'text'],
  hooks: [...BASE, 'fhir', 'text'],
  knowledge: [...BASE, 'db', 'fhir', 'search', 'text'],
  llm: [...BASE, 'db', 'fhir', 'search', 'text'],
  cards: [...BASE, 'fhir', 'hooks', 'knowledge', 'text'],
  feedback: [...BASE, 'db', 'hooks'],
  // The issued-card ledger reads a card's provenance (cards) and records hook answers (hooks).
  ledger: [...BASE, 'cards', 'db', 'hooks'],
  audit: [...BASE, 'db'],
  // The three services never import each other; src/services/*.ts (the registry) may import them all.
  'services/triage': [...BASE, 'cards', 'db', 'fhir', 'hooks', 'knowledge', 'llm', 'search', 'text'],
  'services/diagnosis': [...BASE, 'cards', 'db', 'fhir', 'hooks', 'knowledge', 'llm', 'search', 'text'],
  'services/trials': [...BASE, 'cards', 'db', 'fhir', 'hooks', 'knowledge', 'llm', 'search', 'text'],
  http: [...BASE, 'audit', 'db', 'feedback', 'fhir', 'hooks', 'ledger', 'services', 'text'],
};

/** Inside trial matching: the pure stages import no I/O side; the store does not reach into screenings. */
const TRIAL_ZONES = [
  { target: './src/services/trials/matching', from: './src/services/trials', except: ['./matching'], message: 'matching/ holds the pure stages: no store, screening or service code' },
  { target: './src/services/trials/store', from: './src/services/trials/screening', message: 'the trial store does not depend on screenings' },
];

function layerZones() {
  const zones = [];
  for (const [layer, allowed] of Object.entries(LAYERS)) {
    const self = layer.startsWith('services/') ? 'services' : layer;
    const except = [...new Set([self, ...allowed])].map((p) => `./${p}`);
    zones.push({ target: `./src/${layer}`, from: './src', except, message: `${layer} may import only ${allowed.join(', ') || 'nothing else in src'}` });
  }
  for (const a of ['triage', 'diagnosis', 'trials']) {
    for (const b of ['triage', 'diagnosis', 'trials']) {
      if (a !== b) zones.push({ target: `./src/services/${a}`, from: `./src/services/${b}`, message: 'services never import each other' });
    }
    zones.push({ target: `./src/services/${a}`, from: './src/services', except: ['./triage', './diagnosis', './trials'].filter((p) => p !== `./${a}`).concat(`./${a}`), message: 'a service does not import the service registry' });
  }
  // Nothing shipped imports the dev tools, the tests or the benchmarks.
  zones.push({ target: './src', from: './dev', message: 'src/ is shipped; dev/ is not' });
  zones.push({ target: './src', from: './tests' });
  zones.push({ target: './src', from: './bench' });
  return zones;
}

export default tseslint.config(
  { ignores: ['dist/**', '.bench-build/**', 'node_modules/**', '.cairn/**', 'coverage/**', 'app/dist/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['src/**/*.ts', 'dev/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      // So that no-cycle parses the TypeScript modules an import leads to.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: [...layerZones(), ...TRIAL_ZONES] }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['src/cli/**', 'dev/cli/**', 'dev/eval/check-queries.ts', 'bench/**', 'tests/**', '**/*.cjs'],
    rules: { 'no-console': 'off' },
  },
  {
    // The app runs in the browser and talks to Cairn only over HTTP: it imports nothing from src/.
    files: ['app/**/*.{ts,tsx}'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', URL: 'readonly', URLSearchParams: 'readonly' } },
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/**', '../../src/*'], message: 'the app uses the API, not the server code' }] }] },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
