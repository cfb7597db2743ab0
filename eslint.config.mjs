// ESLint 9 flat config: @eslint/js + typescript-eslint recommended, plus the house rules
// of the JupyterLab extension template (curly, eqeqeq, arrow callbacks, no `any`), and for
// the extension (src/) and its Galata tests (ui-tests/) @jupyter/eslint-plugin's rules.
import js from '@eslint/js';
import jupyter from '@jupyter/eslint-plugin';
import tseslint from 'typescript-eslint';

// @jupyter/eslint-plugin's recommended config, limited to the frontend: its entries are
// for all code (plugins, commands, translations), JSON schemas, and test files.
const [jupyterAll, jupyterSchemas, jupyterTests] = jupyter.configs.recommended;

// The engine's layers, bottom up: a folder of kernel/src may import its own layer's folder
// and those below, never one above or a sibling (the folders of one layer stand side by
// side). Tests (`*.test.ts`) follow the same rule and may import testing/ too.
const LAYERS = [
  ['base'],
  ['contract'],
  ['protocol'],
  ['notebook'],
  ['store'],
  ['executor', 'tracking'],
  ['scheduler'],
  ['cli', 'service', 'api']
];
// Siblings one may import all the same: `nbx install` installs the service kernel.
const SIBLING_IMPORTS = { cli: ['service'] };
// Test and benchmark support: may import anything; only tests and benchmarks import them.
const SUPPORT = ['testing', 'bench'];

/** The no-restricted-imports entry of one kernel/src folder, for its code or its tests. */
function layerRule(folder, level, tests) {
  const forbidden = [...LAYERS.slice(level).flat(), ...(tests ? [] : SUPPORT)].filter(
    name => name !== folder && !(SIBLING_IMPORTS[folder] ?? []).includes(name)
  );
  return [
    'error',
    {
      patterns: [
        {
          // A relative path climbing to kernel/src and into one of the folders.
          regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
          message: `kernel/src/${folder} sits below these folders: import downwards only (see the layer table in eslint.config.mjs).`
        }
      ]
    }
  ];
}

const layerConfigs = LAYERS.flatMap((folders, level) =>
  folders.flatMap(folder => [
    {
      files: [`kernel/src/${folder}/**/*.ts`],
      ignores: ['**/*.test.ts'],
      rules: { '@typescript-eslint/no-restricted-imports': layerRule(folder, level, false) }
    },
    {
      files: [`kernel/src/${folder}/**/*.test.ts`],
      rules: { '@typescript-eslint/no-restricted-imports': layerRule(folder, level, true) }
    }
  ])
);

// The browser bundle holds no engine code: src/ imports the contract's types, and at run
// time only the pure display rules (formatting, the objective) shared with the terminal
// and the pure query evaluator (`--where`/`--sort`).
const frontendImports = {
  files: ['src/**/*.{ts,tsx}'],
  // The frontend's unit tests and their support run in Node against the real service.
  ignores: ['src/**/*.test.ts', 'src/testing/**'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: '(^|/)kernel/src/contract/',
            allowTypeImports: true,
            message: 'src/ imports kernel/src/contract with `import type` only.'
          },
          {
            // At run time the display rules and the query evaluator (the Runs panel
            // filters and sorts as `nbx runs` does) load compiled (kernel/lib: what the
            // bundle and the frontend's unit tests can load), their types from either path.
            regex:
              '(^|/)kernel/(?!src/contract/|(src|lib)/(base/display|store/query-eval)(\\.js)?$)',
            message:
              'src/ may not import kernel/ code: only types from kernel/src/contract, kernel/{src,lib}/base/display and kernel/{src,lib}/store/query-eval.'
          }
        ]
      }
    ]
  }
};

export default tseslint.config(
  {
    ignores: [
      'kernel/lib/**',
      'lib/**',
      'lib-test/**',
      'labextension/**',
      'node_modules/**',
      '.venv/**',
      '.nbx/**',
      'ui-tests/test-results/**',
      'ui-tests/playwright-report/**',
      'ui-tests/blob-report/**'
    ]
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      curly: ['error', 'all'],
      eqeqeq: ['error', 'always'],
      'prefer-arrow-callback': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // `interface IFoo extends IBar {}` names a type, as @jupyterlab/nbformat does.
      '@typescript-eslint/no-empty-object-type': [
        'error',
        { allowInterfaces: 'with-single-extends' }
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_'
        }
      ]
    }
  },
  {
    // Plain Node scripts (kernel/bin/nbx.js, future *.config.js): CommonJS.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        exports: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        __filename: 'readonly'
      }
    },
    rules: {
      '@typescript-eslint/no-require-imports': 'off'
    }
  },
  {
    // ES modules: this file, and style/index.js (the styleModule the builder bundles).
    files: ['**/*.mjs', 'style/**/*.js'],
    languageOptions: { sourceType: 'module' }
  },
  {
    files: ['src/**/*.{ts,tsx}', 'ui-tests/**/*.{ts,js}'],
    plugins: { jupyter },
    rules: jupyterAll.rules
  },
  {
    files: ['schema/*.json'],
    plugins: { jupyter },
    languageOptions: jupyterSchemas.languageOptions,
    rules: jupyterSchemas.rules
  },
  {
    files: ['ui-tests/**/*.spec.ts'],
    plugins: { jupyter },
    rules: jupyterTests.rules
  },
  {
    // A test's run labels are data it writes, not text of the interface to translate.
    files: ['src/**/*.test.ts', 'ui-tests/**/*.spec.ts'],
    rules: { 'jupyter/no-untranslated-string': 'off' }
  },
  {
    // JupyterLab's patterns: `namespace CommandIDs`, `namespace Private`, a class's
    // static namespace merged with it.
    files: ['src/**/*.{ts,tsx}'],
    rules: { '@typescript-eslint/no-namespace': 'off' }
  },
  ...layerConfigs,
  frontendImports
);
