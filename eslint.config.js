// Lint: typescript-eslint's recommended rules, plus the dependency direction of
// ARCHITECTURE.md: services and backbone ports never import adapters. Only src/runtime (the
// composition root), src/cli, tests and test support may wire adapters together.
import { dirname, resolve } from 'node:path';
import tseslint from 'typescript-eslint';

const adapterFolders = [
  'messaging-kafka',
  'messaging-postgres',
  'storage-postgres',
  'storage-pglite',
  'schema-registry-builtin',
  'schema-registry-http',
  'command-channel-rabbitmq',
];
const adapterPatterns = adapterFolders.flatMap((folder) => [
  `**/backbone/${folder}`,
  `**/backbone/${folder}/**`,
  `../${folder}/*`,
  `../../backbone/${folder}/*`,
]);
const adapterImports = {
  patterns: [{ group: adapterPatterns, message: 'Ports and services depend on ports only; wire adapters in src/runtime.' }],
};

// Each table belongs to the service whose migrations create it (ARCHITECTURE.md, "ADR: each table
// has one owning service"), and a service is reached through its public modules only: its index.ts
// and its read module queries.ts. `http/` holds the API's shared conventions, not a service.
const servicePublicModules = new Set(['index.ts', 'queries.ts']);
const sharedServiceFolders = new Set(['http']);
const serviceBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: "Forbids importing another service's internals: only its index.ts or queries.ts." },
    messages: {
      internal:
        "'{{source}}' is inside the {{service}} service: import its index.ts or queries.ts instead (services own their tables, ARCHITECTURE.md).",
    },
    schema: [],
  },
  create(context) {
    const own = serviceOf(context.filename);
    if (!own) return {};
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = serviceOf(resolve(dirname(context.filename), source));
      if (!target || target.service === own.service || sharedServiceFolders.has(target.service) || servicePublicModules.has(target.module))
        return;
      context.report({ node: node.source, messageId: 'internal', data: { source, service: target.service } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

/** The service folder a path lies in and the module's path inside it, or undefined outside a service folder. */
function serviceOf(path) {
  const match = /[\\/]src[\\/]services[\\/]([\w-]+)[\\/](.+)$/.exec(path);
  return match ? { service: match[1], module: match[2].replaceAll('\\', '/') } : undefined;
}

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
    ignores: adapterFolders.map((folder) => `src/backbone/${folder}/**`).concat(['src/**/*.spec.ts', 'src/backbone/testing/**']),
    rules: { 'no-restricted-imports': ['error', adapterImports] },
  },
  {
    // Services read events typed by their topic (src/contracts/topic-payloads.ts: narrow with
    // isEventOf): a cast of a payload or of an event compiles whatever the contract says and fails
    // at run time, so it is refused here. Tests may still build odd payloads on purpose.
    files: ['src/services/**/*.ts'],
    ignores: ['src/**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['TSAsExpression', 'TSTypeAssertion'].flatMap((cast) => [
          {
            selector: `${cast} > MemberExpression.expression[property.name='payload']`,
            message: 'Do not cast an event payload: narrow the event by its topic (isEventOf in src/contracts/topic-payloads.ts).',
          },
          {
            selector: `:matches(${cast} > TSTypeReference.typeAnnotation, ${cast} > .typeAnnotation TSTypeReference)[typeName.name='ConsumedEvent']`,
            message: 'Do not cast an event: narrow it by its topic (isEventOf in src/contracts/topic-payloads.ts).',
          },
        ]),
      ],
    },
  },
  {
    // A service imports another only through its public modules (see serviceBoundaries above);
    // tests may reach further to set up another service's tables.
    files: ['src/services/**/*.ts'],
    ignores: ['src/**/*.spec.ts'],
    plugins: { paystream: { rules: { 'service-boundaries': serviceBoundaries } } },
    rules: { 'paystream/service-boundaries': 'error' },
  },
  {
    // Adapters do not import each other either: each stands on the ports alone.
    files: adapterFolders.map((folder) => `src/backbone/${folder}/**/*.ts`),
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: adapterFolders.map((folder) => `../${folder}/*`), message: 'Adapters stand on ports, not on other adapters.' },
          ],
        },
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
            {
              regex: '/src/backbone/(?![\\w-]+/index\\.ts$)',
              message: "Examples import the backbone's public entry points only (src/backbone/<folder>/index.ts).",
            },
            {
              group: ['**/src/services/**', '**/src/contracts/**', '**/src/runtime/**', '**/src/cli/**'],
              message: 'Examples stand on the backbone alone, not on the payment platform.',
            },
          ],
        },
      ],
    },
  },
  {
    // The order flow (src/apps/orders) is an application on the backbone, not a payment service:
    // it stands on the backbone's public entry points, paystream's contracts and the API's shared
    // conventions (src/services/http), and reaches the payment services through their HTTP API
    // and events only. Its events and payloads are its own (src/apps/orders/contracts.ts).
    files: ['src/apps/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '/backbone/(?![\\w-]+/index\\.ts$)',
              message: "Apps import the backbone's public entry points only (src/backbone/<folder>/index.ts).",
            },
            {
              regex: '/services/(?!http/)',
              message:
                'Apps reach the payment services through their API and events, not their code (src/services/http is allowed: the API conventions).',
            },
            {
              group: ['**/src/runtime/**', '**/runtime/*', '**/src/cli/**', '**/cli/*'],
              message: 'Apps do not depend on the composition root.',
            },
            ...adapterImports.patterns,
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
