/**
 * `nbx.runs()`, `nbx.compare()` and `nbx.scalars()` for real: `nbx run` of a tslab
 * notebook over a runs root of 200 generated runs plus two real runs that logged points,
 * in a project with its own apache-arrow; the executed notebook's outputs are checked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { generateRuns } from '../bench/gen-runs';
import type { JSONObject } from '../base/json';
import { PACKAGE_ROOT } from '../base/paths';
import type { ICodeCell, INotebook, Output } from '../notebook/nbformat';
import { listRuns } from '../store/runs';
import { ownArrowCopy } from '../testing/arrow-copy';
import { cliEnv, code, nbxAsync, notebook, tempDir, writeNotebook } from '../testing/fixtures';

function text(value: unknown): string {
  return Array.isArray(value) ? value.join('') : String(value ?? '');
}

function streams(cell: ICodeCell, name: 'stdout' | 'stderr'): string {
  return cell.outputs
    .filter(o => o.output_type === 'stream' && (o as { name?: string }).name === name)
    .map(o => text((o as { text?: unknown }).text))
    .join('');
}

function displays(cell: ICodeCell): JSONObject[] {
  return cell.outputs
    .filter((o: Output) => o.output_type === 'display_data')
    .map(o => (o as { data: JSONObject }).data);
}

describe('the notebook API in a tslab run', () => {
  it('lists, compares and reads the points of runs; a bad where fails in one line', async () => {
    const project = tempDir();
    const home = path.join(project, 'home');
    const env = cliEnv(home);
    generateRuns(home, { count: 200 });
    ownArrowCopy(project);
    writeNotebook(
      project,
      'train.ipynb',
      notebook('tslab', [
        code('const lr = 0.1;', ['parameters']),
        code(
          'import * as nbx from "nbx";\n' +
            'for (let step = 0; step < 5; step++) {\n' +
            '  nbx.log({ loss: 1 / (1 + lr * step), acc: (lr * step) / (1 + lr * step) }, step);\n' +
            '}'
        )
      ])
    );
    const real = await Promise.all(
      [
        ['lr=0.5', '--label', '<i>fast</i> & "quick"'],
        ['lr=0.1', '--label', 'slow']
      ].map(
        args => nbxAsync(['run', 'train.ipynb', ...args, '-t', 'real'], { cwd: project, env }).done
      )
    );
    for (const r of real) {
      assert.equal(r.status, 0, r.stderr);
    }
    writeNotebook(
      project,
      'analyse.ipynb',
      notebook('tslab', [
        code('import * as nbx from "nbx";\nimport { Table } from "apache-arrow";'),
        code(
          'const all = nbx.runs();\n' +
            'console.log(all.numRows, Object.getPrototypeOf(all) === Table.prototype, all instanceof Table);'
        ),
        code(
          "const real = nbx.runs('tags = real');\n" +
            'console.log(real.numRows);\n' +
            "nbx.compare(real, { objective: '-#acc' });"
        ),
        code(
          "const fast = String(nbx.runs('lr = 0.5 and tags = real').getChild('id')?.get(0));\n" +
            "const points = nbx.scalars(fast, 'loss');\n" +
            "console.log(JSON.stringify(points.getChild('step')?.toJSON()), JSON.stringify(points.getChild('value')?.toJSON()));"
        ),
        code('nbx.compare();'),
        code("nbx.runs('lr >> 1');")
      ])
    );
    const run = await nbxAsync(['run', 'analyse.ipynb'], { cwd: project, env }).done;
    assert.notEqual(run.status, 0, 'the last cell fails');
    const meta = listRuns(home).find(m => m.notebookName === 'analyse.ipynb');
    assert.ok(meta, run.stderr);
    const nb = JSON.parse(
      fs.readFileSync(path.join(home, 'runs', meta.id, 'executed.ipynb'), 'utf8')
    ) as INotebook;
    const cells = nb.cells as ICodeCell[];

    // The index of every run (200 generated, 2 real, this one) as the notebook's own Table.
    assert.equal(streams(cells[1], 'stdout'), '203 true true\n', JSON.stringify(cells[1].outputs));

    // The comparison: one display, HTML and its text, best acc first and marked.
    assert.equal(streams(cells[2], 'stdout'), '2\n');
    const [shown] = displays(cells[2]);
    assert.equal(displays(cells[2]).length, 1);
    const html = text(shown['text/html']);
    const plain = text(shown['text/plain']);
    assert.match(plain, /^2 runs × \d+ columns · objective -#acc$/m);
    const lines = plain.split('\n');
    assert.match(lines[1], /^run +notebook +status +label +=lr +#acc +#loss$/);
    assert.match(
      lines[2],
      /^[0-9a-f]{8} +train\.ipynb +completed +<i>fast<\/i> & "quick" +0\.5 +0\.6667 +0\.3333$/
    );
    assert.match(lines[3], /^[0-9a-f]{8} +train\.ipynb +completed +slow +0\.1 +0\.2857 +0\.7143$/);
    assert.ok(html.includes('&lt;i&gt;fast&lt;/i&gt; &amp; &quot;quick&quot;'));
    assert.ok(!html.includes('<i>'));
    assert.match(html, /<b>0\.6667<\/b>/, 'the best acc marked');
    assert.match(html, /<b>0\.3333<\/b>/, 'the best (lowest) loss marked');

    // The points of one key, as logged.
    assert.equal(
      streams(cells[3], 'stdout'),
      `[0,1,2,3,4] ${JSON.stringify([0, 1, 2, 3, 4].map(s => 1 / (1 + 0.5 * s)))}\n`
    );

    // By default the latest 20 runs, with a note saying so.
    const latest = text(displays(cells[4])[0]['text/plain']);
    assert.match(latest, /^20 runs × \d+ columns$/m);
    assert.match(latest, /^the latest 20 of 203 runs/m);

    // A bad where expression: one line naming the problem and where it is.
    const error = streams(cells[5], 'stderr');
    assert.equal(
      error.trim(),
      "[NbxApiError: nbx.runs: invalid where 'lr >> 1': unexpected '>' at column 5 (expected a value)]"
    );
  });

  it('runs examples/compare.ipynb as written', async () => {
    const home = path.join(tempDir(), 'home');
    const examples = path.join(PACKAGE_ROOT, 'examples');
    const run = await nbxAsync(['run', 'compare.ipynb'], { cwd: examples, env: cliEnv(home) }).done;
    assert.equal(run.status, 0, run.stderr);
    const meta = listRuns(home).find(m => m.notebookName === 'compare.ipynb');
    assert.ok(meta);
    const nb = JSON.parse(
      fs.readFileSync(path.join(home, 'runs', meta.id, 'executed.ipynb'), 'utf8')
    ) as INotebook;
    const cell = (id: string): ICodeCell => nb.cells.find(c => c.id === id) as ICodeCell;
    assert.match(streams(cell('index'), 'stdout'), /^3 completed runs of train\.ipynb\n/);
    const [shown] = displays(cell('compare'));
    const plain = text(shown['text/plain']).split('\n');
    assert.match(plain[0], /^3 runs × \d+ columns · objective #loss$/);
    assert.match(plain[1], /^run +notebook +status +label +=lr +#loss +#acc$/);
    const losses = plain.slice(2, 5).map(line => Number(line.trim().split(/ +/).at(-2)));
    assert.deepEqual(
      losses,
      [...losses].sort((a, b) => a - b),
      'best loss first'
    );
    assert.match(
      text(shown['text/html']),
      new RegExp(`<b>${plain[2].trim().split(/ +/).at(-2)}</b>`)
    );
    assert.match(
      streams(cell('scalars'), 'stdout'),
      /^trial \d \(lr=0\.\d+\): loss by step \[( [\d.]+,){4} [\d.]+ \]\n$/
    );
  });
});
