// ESLint 9 flat config: @eslint/js + typescript-eslint recommended, plus the house rules
// of the JupyterLab extension template (curly, eqeqeq, arrow callbacks, no `any`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
      'ui-tests/playwright-report/**'
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
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module' }
  }
);
