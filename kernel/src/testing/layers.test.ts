/**
 * The layer rule of eslint.config.mjs, run through ESLint's own API: an import that climbs
 * a layer, or engine code pulled into the browser bundle, fails `npm run lint`.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { ESLint } from 'eslint';

import { PACKAGE_ROOT } from '../base/paths';

const RULE = '@typescript-eslint/no-restricted-imports';

let eslint: ESLint;

/** The messages of the layer rule for `code` as if it were the file `filePath`. */
async function layerErrors(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter(m => m.ruleId === RULE).map(m => m.message);
}

describe('the layer rule', () => {
  before(() => {
    eslint = new ESLint({ cwd: PACKAGE_ROOT });
  });

  it('refuses an upward import in kernel/src', async () => {
    const errors = await layerErrors(
      "import { main } from '../cli/main';\nexport const m = main;\n",
      'kernel/src/base/upward.ts'
    );
    assert.equal(errors.length, 1);
    assert.match(errors[0], /kernel\/src\/base sits below/);
  });

  it('refuses an import between sibling folders, and of test support outside tests', async () => {
    const sibling = await layerErrors(
      "import { startRun } from '../../api/index';\nexport const s = startRun;\n",
      'kernel/src/cli/commands/sibling.ts'
    );
    assert.equal(sibling.length, 1);
    const support = await layerErrors(
      "import { tempDir } from '../testing/fixtures';\nexport const t = tempDir;\n",
      'kernel/src/store/helper.ts'
    );
    assert.equal(support.length, 1);
  });

  it('allows downward imports, and test support in tests', async () => {
    const code =
      "import { UserError } from '../base/errors';\n" +
      "import { RunDir } from '../store/run-dir';\n" +
      "import { tempDir } from '../testing/fixtures';\n" +
      'export const all = [UserError, RunDir, tempDir];\n';
    assert.deepEqual(await layerErrors(code, 'kernel/src/scheduler/down.test.ts'), []);
    assert.deepEqual(
      await layerErrors(code.replace(/^.*testing.*\n/m, ''), 'kernel/src/scheduler/down.ts'),
      []
    );
  });

  it('refuses engine code at run time in src/, and allows the contract as types', async () => {
    const runtime = await layerErrors(
      "import { RunDir } from '../kernel/src/store/run-dir';\nexport const r = RunDir;\n",
      'src/upward.ts'
    );
    assert.equal(runtime.length, 1);
    assert.match(runtime[0], /src\/ may not import kernel\//);
    const contractValue = await layerErrors(
      "import { COMM_TARGET } from '../kernel/src/contract/service';\nexport const c = COMM_TARGET;\n",
      'src/contract-value.ts'
    );
    assert.equal(contractValue.length, 1);
    const allowed =
      "import type { RunMeta } from '../../kernel/src/contract/run';\n" +
      "import { formatNumber } from '../../kernel/src/base/display';\n" +
      'export const f = (m: RunMeta): string => formatNumber(m.seq);\n';
    assert.deepEqual(await layerErrors(allowed, 'src/runs/allowed.ts'), []);
  });
});
