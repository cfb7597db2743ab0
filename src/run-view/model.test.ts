import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunMeta } from '../../kernel/src/contract/run';
import { generateRuns } from '../../kernel/lib/bench/gen-runs';
import { code, nbx, notebook, waitFor, writeNotebook } from '../../kernel/lib/testing/fixtures';
import { RootedService } from '../client/rooted';
import { NbxSettings } from '../settings';
import { LocalConnection, tempProject } from '../testing/service';
import { type IRunOutputChange, RunViewModel } from './model';

describe('RunViewModel', () => {
  const project = tempProject();
  const ids = generateRuns(project.root, { count: 30, seed: 11 });
  const connection = new LocalConnection(project);
  const service = new RootedService(connection, new NbxSettings(null));
  const meta = (id: string): RunMeta =>
    JSON.parse(
      fs.readFileSync(path.join(project.root, 'runs', id, 'meta.json'), 'utf8')
    ) as RunMeta;
  const completed = ids.find(id => meta(id).status === 'completed') ?? '';
  const staged = ids.find(id => meta(id).status === 'staged');
  const models: RunViewModel[] = [];
  const open = (id: string, which: RunViewModel.IOptions['which'] = 'executed'): RunViewModel => {
    const model = new RunViewModel({ id, which, service });
    models.push(model);
    return model;
  };
  after(() => models.forEach(model => model.dispose()));

  describe('#refresh', () => {
    it("fetches a run's record, notebook and output, from a prefix of its id", async () => {
      const model = open(completed.slice(0, 8));
      let changes = 0;
      model.changed.connect(() => changes++);
      await model.refresh();
      assert.equal(changes, 1);
      assert.equal(model.recordError, null);
      assert.equal(model.id, completed);
      assert.equal(model.record?.status, 'completed');
      assert.equal(model.isLive, false);
      assert.ok((model.log?.size ?? 0) > 0);
      assert.match(model.log?.text ?? '', /step=\d+ loss=/);
      const notebook = model.notebook;
      assert.ok(notebook !== null && notebook.cells.length > 0);
      for (const cell of notebook.cells) {
        assert.equal(typeof cell.source, 'string', 'sources joined');
        assert.equal(cell.metadata?.trusted, undefined, 'cells untrusted');
      }
    });

    it('keeps the notebook object while the notebook does not change', async () => {
      const model = open(completed);
      await model.refresh();
      const first = model.notebook;
      await model.refresh();
      assert.equal(model.notebook, first);
    });

    it('shows the snapshot as launched on request', async () => {
      const model = open(completed, 'snapshot');
      await model.refresh();
      assert.equal(model.which, 'snapshot');
      assert.ok(model.notebook !== null);
      assert.equal(model.currentCell, null);
    });

    it('says why a run cannot be read', async () => {
      const model = open('ffffffffffffffffffffffffffffffff');
      await model.refresh();
      assert.equal(model.record, null);
      assert.match(model.recordError ?? '', /ffffffff/);
      assert.notEqual(model.notebookError, null);
    });

    it('folds calls made during a fetch into one more', async () => {
      const model = open(completed);
      const before = connection.requests.length;
      await Promise.all([model.refresh(), model.refresh(), model.refresh()]);
      // Each fetch asks for the record, the notebook and the log.
      assert.equal(connection.requests.length - before, 6);
    });
  });

  describe('#watch', () => {
    it('follows a live run as pushed, then fetches it whole when it ends', async () => {
      writeNotebook(
        project.dir,
        'live.ipynb',
        notebook('python3', [
          code('print("ready")'),
          code(
            'import time\nfor i in range(8):\n    print(f"live line {i}", flush=True)\n    time.sleep(0.3)'
          )
        ])
      );
      const started = nbx(['run', 'live.ipynb', '--detach', '--no-gpus'], {
        cwd: project.dir,
        env: project.env
      });
      assert.equal(started.status, 0, started.stderr);
      const id = started.stdout.trim();
      const model = open(id);
      const changes: IRunOutputChange[] = [];
      model.outputChanged.connect((_sender, change) => changes.push(change));
      await model.refresh();
      assert.ok(model.isWatching, 'a live run is watched');
      assert.equal(connection.watches, 1);
      const text = (): string =>
        JSON.stringify(model.notebook?.cells[1] ?? null).replace(/\\n/g, '\n');
      await waitFor(
        () => (/live line 3/.test(text()) && model.currentCell === 1 ? true : undefined),
        60_000,
        'line 3 while cell 2 runs'
      );
      // Lines came as text appended to the stream shown, not as whole notebooks.
      assert.ok(changes.some(change => change.cells.some(cell => cell.append !== null)));
      await waitFor(
        () => (meta(id).status === 'completed' ? true : undefined),
        60_000,
        'the run to complete'
      );
      const before = connection.requests.length;
      await model.refreshRecord();
      assert.deepEqual(connection.requests.slice(before), [
        'getRun',
        'getRun',
        'unwatchRun',
        'getNotebook',
        'getLogTail'
      ]);
      assert.equal(model.isWatching, false);
      await waitFor(() => (connection.watches === 0 ? true : undefined), 5000, 'the unwatch');
      assert.match(text(), /live line 7/);
      assert.equal(model.currentCell, null);
    });
  });

  describe('#duration', () => {
    it('is the time from start to stop, in seconds', async () => {
      const model = open(completed);
      await model.refresh();
      const { started, stopped } = meta(completed);
      assert.equal(
        model.duration(),
        (Date.parse(stopped ?? '') - Date.parse(started ?? '')) / 1000
      );
    });

    it('is null before the run starts', async () => {
      if (staged === undefined) {
        return;
      }
      const model = open(staged);
      await model.refresh();
      assert.equal(model.record?.status, 'staged');
      assert.equal(model.duration(), null);
      assert.equal(model.isLive, true);
    });
  });

  describe('#scalars', () => {
    it('lists the keys in order, system metrics last', async () => {
      const model = open(completed);
      await model.refresh();
      const keys = model.scalars.map(row => row.key);
      assert.deepEqual(
        keys,
        Object.keys(meta(completed).scalars).sort((a, b) => {
          const sa = a.startsWith('sys/') ? 1 : 0;
          const sb = b.startsWith('sys/') ? 1 : 0;
          return sa - sb || a.localeCompare(b);
        })
      );
      assert.ok(keys.includes('loss'));
      assert.equal(
        model.scalars.find(row => row.key === 'loss')?.summary.count,
        meta(completed).scalars.loss.count
      );
    });
  });

  describe('#concerns', () => {
    it('matches pushed changes by full id or by the prefix opened', async () => {
      const model = open(completed.slice(0, 6));
      assert.ok(model.concerns([completed]));
      assert.ok(!model.concerns([ids.find(id => !id.startsWith(completed.slice(0, 6))) ?? '']));
      await model.refresh();
      assert.ok(model.concerns(['0000', completed]));
    });
  });

  describe('#stop', () => {
    it('says why a finished run cannot be stopped, and fetches again', async () => {
      const model = open(completed);
      await model.refresh();
      const before = connection.requests.length;
      const failure = await model.stop();
      assert.notEqual(failure, null);
      assert.match(failure ?? '', /not running|completed/);
      assert.deepEqual(connection.requests.slice(before), [
        'stopRuns',
        'getRun',
        'getNotebook',
        'getLogTail'
      ]);
    });
  });
});
