/**
 * The project file: found by walking up, validated (an error names the file, the JSON
 * path and what was expected), other top-level keys left alone; requirements in notebook
 * metadata validated the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { hasCurrentValidator } from '../base/json-schema';
import { tempDir } from '../testing/fixtures';
import {
  findProjectFile,
  notebookEntry,
  parseRequirements,
  PROJECT_SCHEMAS,
  readProjectFile
} from './project-file';

function projectWith(content: unknown): string {
  const dir = tempDir();
  const file = path.join(dir, 'nbx.json');
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

test('the schemas are valid JSON Schemas, compiled by the build', () => {
  for (const [name, schema] of Object.entries(PROJECT_SCHEMAS)) {
    const ajv = new Ajv();
    assert.equal(ajv.validateSchema(schema), true, ajv.errorsText());
    assert.ok(hasCurrentValidator(name, schema), name);
  }
});

test('nbx.json is found from a folder below it, and read with defaults', () => {
  const file = projectWith({
    pipelines: { p: { steps: ['a.ipynb'] } },
    notebooks: { 'sub/b.ipynb': { requires: [{ file: 'x.csv' }] } },
    slurm: { partition: 'gpu' }
  });
  const below = path.join(path.dirname(file), 'sub', 'deeper');
  fs.mkdirSync(below, { recursive: true });
  assert.equal(findProjectFile(below), file);
  assert.equal(findProjectFile(path.parse(below).root), null);
  const project = readProjectFile(file);
  assert.deepEqual(project.pipelines.p, { flags: {}, steps: ['a.ipynb'] });
  const entry = notebookEntry(project, path.join(path.dirname(file), 'sub', 'b.ipynb'));
  assert.deepEqual(entry?.requires, [{ file: 'x.csv' }]);
  assert.equal(notebookEntry(project, path.join(path.dirname(file), 'b.ipynb')), undefined);
});

test('an invalid nbx.json is named with the JSON path and what was expected', () => {
  const cases: [unknown, RegExp][] = [
    ['{"pipelines": ', /nbx\.json: not valid JSON \(/],
    [
      { pipelines: { p: {} } },
      /nbx\.json: invalid at \/pipelines\/p: expected a "steps" property$/
    ],
    [
      { pipelines: { p: { steps: [], flag: {} } } },
      /invalid at \/pipelines\/p: expected no "flag" property$/
    ],
    [
      { pipelines: { p: { steps: [], flags: 3 } } },
      /\/pipelines\/p\/flags: expected a value of type object$/
    ],
    [
      { notebooks: { 'a/b.ipynb': { requires: [{ run: 'x.ipynb', file: 'y' }] } } },
      /invalid at \/notebooks\/a~1b\.ipynb\/requires\/0: expected either a "file" or a "run" property$/
    ],
    [
      { notebooks: { 'b.ipynb': { requires: [{ run: '' }] } } },
      /\/notebooks\/b\.ipynb\/requires\/0\/run: expected a non-empty string$/
    ]
  ];
  for (const [content, message] of cases) {
    const file = projectWith(content);
    assert.throws(() => readProjectFile(file, path.dirname(file)), message);
  }
});

test('requirements in notebook metadata are validated the same way', () => {
  assert.deepEqual(parseRequirements([{ run: 'a.ipynb', select: 'data/*.csv' }], 'x'), [
    { run: 'a.ipynb', select: 'data/*.csv' }
  ]);
  assert.throws(
    () => parseRequirements([{ file: 'a', select: '*' }], 'train.ipynb metadata.nbx.requires'),
    /^UserError: train\.ipynb metadata\.nbx\.requires: invalid at \/0: expected "select" only with "run"$/
  );
  assert.throws(
    () => parseRequirements({ run: 'a' }, 'w'),
    /w: invalid at \/: expected a value of type array/
  );
});
