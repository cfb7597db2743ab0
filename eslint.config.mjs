// ESLint 9 flat config: @eslint/js + typescript-eslint recommended, plus the house rules
// of the JupyterLab extension template (curly, eqeqeq, arrow callbacks, no `any`), and for
// the extension (src/) and its Galata tests (ui-tests/) @jupyter/eslint-plugin's rules.
import js from '@eslint/js';
import jupyter from '@jupyter/eslint-plugin';
import tseslint from 'typescript-eslint';

// @jupyter/eslint-plugin's recommended config, limited to the frontend: its entries are
// for all code (plugins, commands, translations), JSON schemas, and test files.
const [jupyterAll, jupyterSchemas, jupyterTests] = jupyter.configs.recommended;

export default tseslint.config(
  {
    ignores: [
      'kernel/lib/**',
      'lib/**',
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
    // JupyterLab's patterns: `namespace CommandIDs`, `namespace Private`, a class's
    // static namespace merged with it.
    files: ['src/**/*.{ts,tsx}'],
    rules: { '@typescript-eslint/no-namespace': 'off' }
  }
);
