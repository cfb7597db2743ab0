/**
 * Run records changed by hand, as a person with an editor or a script would: `nbx runs` and
 * `nbx compare` show the change at once (the runs index never trusts a stale cache), and
 * a record that no longer parses is named in one line, never a stack trace.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { RunMeta } from '../store/meta';
import { createRun } from '../store/run-dir';
import { assertOneLine, cliProject } from '../testing/cli-project';
import { nbx } from '../testing/fixtures';

/** Three completed runs, oldest first, each listed once so the index cache is warm. */
function project(): ReturnType<typeof cliProject> & { metas: string[]; ids: string[] } {
  const p = cliProject();
  const ids = [0.1, 0.2, 0.3].map((lr, i) => {
    const run = createRun(p.home, { notebook: path.join(p.dir, 'train.ipynb') });
    run.updateMeta({
      status: 'completed',
      flags: { lr },
      label: `lr=${lr}`,
      created: new Date(Date.UTC(2025, 0, 1 + i)).toISOString()
    });
    return run.id;
  });
  const warm = nbx(['runs'], { cwd: p.dir, env: p.env });
  assert.equal(warm.status, 0, warm.stderr);
  const metas = ids.map(id => path.join(p.home, 'runs', id, 'meta.json'));
  return { ...p, ids, metas };
}

/** Rewrites a meta.json in place (same inode; the runs directory is untouched). */
function editInPlace(file: string, patch: Partial<RunMeta>): void {
  const meta = JSON.parse(fs.readFileSync(file, 'utf8')) as RunMeta;
  fs.writeFileSync(file, JSON.stringify({ ...meta, ...patch }, null, 4));
}

describe('records edited by hand', () => {
  it('an edited status and label show at the next nbx runs and nbx compare', () => {
    const { dir, env, ids, metas } = project();
    editInPlace(metas[0], { status: 'error', label: 'edited by hand' });
    const errors = nbx(['runs', '--where', 'status = error', '--json'], { cwd: dir, env });
    assert.equal(errors.status, 0, errors.stderr);
    const found = JSON.parse(errors.stdout) as { id: string; label: string }[];
    assert.deepEqual(
      found.map(r => [r.id, r.label]),
      [[ids[0], 'edited by hand']]
    );
    const byLabel = nbx(['runs', '--label', 'edited'], { cwd: dir, env });
    assert.match(byLabel.stdout, new RegExp(ids[0].slice(0, 8)));

    editInPlace(metas[1], { flags: { lr: 0.25 } });
    const compared = nbx(['compare', '--csv'], { cwd: dir, env });
    assert.equal(compared.status, 0, compared.stderr);
    assert.match(compared.stdout, /0\.25/);
  });

  it('a truncated, garbled or deleted meta.json is left out with one warning naming it', () => {
    const { dir, env, ids, metas } = project();
    fs.truncateSync(metas[0], 0);
    fs.writeFileSync(metas[1], '{"id": "garbage');
    for (const args of [['runs'], ['compare']]) {
      const r = nbx(args, { cwd: dir, env });
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stdout, new RegExp(`${ids[0].slice(0, 8)}|${ids[1].slice(0, 8)}`));
      assert.match(r.stdout, new RegExp(ids[2].slice(0, 8)));
      const warnings = r.stderr.trim().split('\n');
      assert.deepEqual(
        warnings.sort(),
        [
          `nbx: warning: skipping run ${path.dirname(metas[0])}: meta.json is not valid JSON`,
          `nbx: warning: skipping run ${path.dirname(metas[1])}: meta.json is not valid JSON`
        ].sort(),
        r.stderr
      );
    }
    fs.rmSync(metas[2]);
    const gone = nbx(['runs'], { cwd: dir, env });
    assert.equal(gone.status, 0, gone.stderr);
    assert.doesNotMatch(gone.stdout, new RegExp(ids[2].slice(0, 8)));
    assert.match(gone.stderr, new RegExp(`skipping run ${path.dirname(metas[2])}: no meta.json`));
    const warnings = gone.stderr.split('\n').filter(line => line.startsWith('nbx: warning:'));
    assert.equal(warnings.length, 3, gone.stderr);
  });

  it('a command given a run whose record is corrupt names the file in one line and exits 2', () => {
    const { dir, env, ids, metas } = project();
    fs.writeFileSync(metas[0], 'garbage');
    fs.rmSync(metas[1]);
    for (const args of [
      ['show', ids[0]],
      ['tag', ids[0], '+x'],
      ['label', ids[0], 'x'],
      ['comment', ids[0], 'x'],
      ['show', ids[1]]
    ]) {
      const r = nbx(args, { cwd: dir, env });
      const file = args[1] === ids[0] ? metas[0] : metas[1];
      assertOneLine(r, 2, new RegExp(`^nbx: .*${file.replace(/[.]/g, '\\.')}`));
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    }
    // compare lists every run, so it warns about the unusable ones before refusing.
    const compared = nbx(['compare', ids[0], ids[2]], { cwd: dir, env });
    assert.equal(compared.status, 2, compared.stderr);
    const last = compared.stderr.trim().split('\n').pop() as string;
    assert.equal(last, `nbx: ${metas[0]}: meta.json is not valid JSON`);
  });
});
