// Lint rules for every package. Type-aware rules stay on: a daemon must not
// drop a promise on the floor (no-floating-promises, no-misused-promises).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const layer = (files, patterns, message) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group, message })) }] },
})

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.cache/**', 'coverage/**'] },
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
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] }],
      'no-console': 'off',
    },
  },
  { files: ['**/cli/**/*.ts', '**/src/main.ts', '**/bin/**'], rules: { 'no-console': 'off' } },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
  },
  layer(['packages/*/src/domain/**/*.ts'], ['../app/*', '../drivers/*', '../infra/*', '../http/*', 'node:*', 'fastify*', 'better-sqlite3'], 'domain/ is pure: no I/O, no outer layers'),
  layer(['packages/*/src/app/**/*.ts'], ['../http/*', 'fastify*', 'better-sqlite3', '../drivers/multipass/*', '../drivers/qemu/*'], 'app/ depends on interfaces, not on HTTP or concrete adapters'),
  layer(['packages/*/src/drivers/**/*.ts', 'packages/*/src/infra/**/*.ts'], ['**/app/*', '**/http/*'], 'drivers/ and infra/ are edges: they never reach into app/ or http/'),
)
