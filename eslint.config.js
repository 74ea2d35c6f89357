// Lint: typescript-eslint's recommended rules, plus the dependency direction of
// ARCHITECTURE.md: services and backbone ports never import adapters. Only src/runtime (the
// composition root), src/cli, tests and test support may wire adapters together.
import tseslint from 'typescript-eslint';

const adapterFolders = ['messaging-kafka', 'messaging-postgres', 'storage-postgres', 'storage-pglite', 'schema-registry-builtin', 'schema-registry-http'];
const adapterPatterns = adapterFolders.flatMap((folder) => [`**/backbone/${folder}`, `**/backbone/${folder}/**`, `../${folder}/*`, `../../backbone/${folder}/*`]);
const adapterImports = {
  patterns: [{ group: adapterPatterns, message: 'Ports and services depend on ports only; wire adapters in src/runtime.' }],
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.paystream/**', '.tmp/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Ports, shared backbone code and the payment services: no adapters.
    files: ['src/backbone/**/*.ts', 'src/services/**/*.ts', 'src/contracts/**/*.ts'],
    ignores: adapterFolders.map((folder) => `src/backbone/${folder}/**`).concat(['src/**/*.spec.ts', 'src/**/*.fixture.ts', 'src/backbone/testing/**']),
    rules: { 'no-restricted-imports': ['error', adapterImports] },
  },
  {
    // Adapters do not import each other either: each stands on the ports alone.
    files: adapterFolders.map((folder) => `src/backbone/${folder}/**/*.ts`),
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: adapterFolders.map((folder) => `../${folder}/*`), message: 'Adapters stand on ports, not on other adapters.' }] },
      ],
    },
  },
  {
    // Tests, scripts and the CLI talk to the terminal.
    files: ['**/*.spec.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'src/cli/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
