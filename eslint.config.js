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
    // Services read events typed by their topic (src/contracts/topic-payloads.ts: narrow with
    // isEventOf): a cast of a payload or of an event compiles whatever the contract says and fails
    // at run time, so it is refused here. Tests may still build odd payloads on purpose.
    files: ['src/services/**/*.ts'],
    ignores: ['src/**/*.spec.ts', 'src/**/*.fixture.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['TSAsExpression', 'TSTypeAssertion'].flatMap((cast) => [
          { selector: `${cast} > MemberExpression.expression[property.name='payload']`, message: 'Do not cast an event payload: narrow the event by its topic (isEventOf in src/contracts/topic-payloads.ts).' },
          { selector: `:matches(${cast} > TSTypeReference.typeAnnotation, ${cast} > .typeAnnotation TSTypeReference)[typeName.name='ConsumedEvent']`, message: 'Do not cast an event: narrow it by its topic (isEventOf in src/contracts/topic-payloads.ts).' },
        ]),
      ],
    },
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
    // The examples show the backbone as a library: its public entry points (the index.ts of each
    // folder) and nothing of the payment platform, so they stay the shortest path to copy.
    files: ['examples/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '/src/backbone/(?![\\w-]+/index\\.ts$)', message: "Examples import the backbone's public entry points only (src/backbone/<folder>/index.ts)." },
            { group: ['**/src/services/**', '**/src/contracts/**', '**/src/runtime/**', '**/src/cli/**'], message: 'Examples stand on the backbone alone, not on the payment platform.' },
          ],
        },
      ],
    },
  },
  {
    // Tests, scripts and the CLI talk to the terminal.
    files: ['**/*.spec.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'src/cli/**/*.ts', 'examples/**/main.ts'],
    rules: { 'no-console': 'off' },
  },
);
