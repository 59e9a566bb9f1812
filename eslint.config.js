// Lint rules for every package. Type-aware rules stay on: a daemon must not
// drop a promise on the floor (no-floating-promises, no-misused-promises).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

// Layer rules: which folders a folder may import from (see docs/architecture.md).
const layer = (files, patterns) => ({ files, ignores: ['**/*.test.ts'], rules: { 'no-restricted-imports': ['error', { patterns }] } })

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.cache/**', 'coverage/**', 'packages/payments/src/artifacts.ts'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-confusing-void-expression': 'off',
      'no-console': 'error',
      // Fastify plugins and handlers are async by contract, awaiting or not.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      'no-console': 'off',
    },
  },
  { files: ['**/cli/**/*.ts', '**/src/main.ts', '**/bin/**'], rules: { 'no-console': 'off' } },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        performance: 'readonly',
        URL: 'readonly',
      },
    },
  },
  layer(
    ['packages/*/src/domain/**/*.ts'],
    [
      {
        group: ['**/app/**', '**/drivers/**', '**/infra/**', '**/http/**', 'node:fs*', 'node:net', 'node:child_process', 'fastify*', 'better-sqlite3'],
        message: 'domain/ is pure: no I/O, no outer layers',
      },
    ],
  ),
  // app/ depends on its own ports (app/ports/) and on the driver contract (drivers/driver.ts), never on an adapter;
  // adapters implement those ports, and compose.ts wires the concrete ones.
  layer(
    ['packages/provider/src/app/**/*.ts', 'packages/discovery/src/app/**/*.ts', 'packages/requestor/src/app/**/*.ts'],
    [
      { group: ['**/infra/**'], message: 'app/ never imports infra/ (not even types): declare the port in app/ports/ and let an adapter implement it' },
      { group: ['**/drivers/**', '!**/drivers/driver.js'], message: 'app/ uses backends only through the contract in drivers/driver.ts' },
      { group: ['**/http/**', 'fastify*', 'better-sqlite3'], message: 'app/ knows nothing of HTTP or storage engines' },
    ],
  ),
  layer(
    ['packages/*/src/drivers/**/*.ts', 'packages/*/src/infra/**/*.ts'],
    [
      {
        group: ['**/app/**', '!**/app/ports', '!**/app/ports/**', '**/http/**'],
        message: 'drivers/ and infra/ are edges: they implement the ports in app/ports/ and never reach further into app/ or into http/',
      },
    ],
  ),
)
