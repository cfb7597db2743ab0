/**
 * The service kernel as a real process, started from its installed kernelspec and
 * driven by the real client over comms: the kernel requests, every service method
 * against a temporary runs root, pushed `runs-changed` and `scalars-appended` events (the
 * latter from a run directory that had no scalars yet), real detached runs of
 * a python3 notebook (completed, and stopped), a forged message, and shutdown.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import * as zmq from 'zeromq';

import { KernelClient } from '../protocol/client';
import { address, newConnectionInfo, writeConnectionFile } from '../protocol/connection';
import { readKernelSpec, type IKernelSpec } from '../protocol/kernelspec';
import { KernelManager } from '../protocol/manager';
import { createMessage, parentId, str, type Content, type IMessage } from '../protocol/messages';
import { SERVICE_EXECUTE_TEXT } from '../protocol/server-info';
import { serialize, Signer } from '../protocol/wire';
import { stopRun } from '../scheduler/control';
import type { RunMeta } from '../store/meta';
import { processStartToken } from '../store/process';
import { createRun, RunDir } from '../store/run-dir';
import { removeRun } from '../store/runs';
import {
  FAKE_BIN,
  code,
  notebook,
  pidAlive,
  tempDir,
  waitFor,
  within,
  writeNotebook
} from '../testing/fixtures';
import { installServiceKernelspec, SERVICE_MAIN } from './install';
import { apiScalarLogName, scalarsDir, ScalarLogWriter } from '../tracking/scalars-format';
import { ServiceComm } from '../testing/service-comm';

const RUNTIME_DIR = tempDir('nbx-runtime-');
process.env.JUPYTER_RUNTIME_DIR = RUNTIME_DIR;

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

function serviceSpec(prefix: string): IKernelSpec {
  const spec = readKernelSpec(installServiceKernelspec(prefix));
  assert.ok(spec);
  return spec;
}

describe('service kernel process', () => {
  const prefix = tempDir('nbx-prefix-');
  const project = tempDir('nbx-service-');
  const home = path.join(project, 'nbx-home');
  // JupyterLab's saved settings, where the service finds the runs roots it may serve.
  const settingsDir = tempDir('nbx-settings-');
  const saveSettings = (text: string): void => {
    fs.mkdirSync(path.join(settingsDir, 'nbx'), { recursive: true });
    fs.writeFileSync(path.join(settingsDir, 'nbx', 'plugin.jupyterlab-settings'), text);
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTERLAB_SETTINGS_DIR: settingsDir,
    NBX_HOME: home,
    PATH: `${FAKE_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
    JUPYTER_PATH: path.join(prefix, 'share', 'jupyter')
  };
  let km: KernelManager;
  let comm: ServiceComm;
  const started: RunDir[] = [];

  /** A finished run with a record like the runner writes. */
  function makeRun(change: Partial<RunMeta> = {}): RunDir {
    const run = createRun(home, {
      notebook: path.join(project, 'train.ipynb'),
      status: 'completed'
    });
    run.updateMeta({ flags: { lr: 0.01 }, started: new Date().toISOString(), ...change });
    return run;
  }

  before(async () => {
    km = await KernelManager.start({
      spec: serviceSpec(prefix),
      cwd: project,
      env,
      output: 'ignore'
    });
    comm = new ServiceComm(km.client);
    await comm.open();
  });

  after(async () => {
    for (const run of started) {
      await stopRun(run, 2000).catch(() => undefined);
    }
    await km?.shutdown();
  });

  it('answers kernel_info as the nbx service kernel', () => {
    assert.equal(km.info.implementation, 'nbx');
    assert.equal(km.info.protocol_version, '5.3');
    assert.equal((km.info.language_info as Content).name, 'nbx');
  });

  it('answers execute_request with a polite note', async () => {
    const iopub: IMessage[] = [];
    const { msgId, reply } = km.client.request(
      'shell',
      'execute_request',
      { code: '1 + 1', silent: false, store_history: true, user_expressions: {} },
      msg => iopub.push(msg)
    );
    const answer = await within(reply, 5000, 'execute_reply');
    await waitFor(
      () => (iopub.some(m => str(m.content, 'execution_state') === 'idle') ? true : undefined),
      5000,
      'idle'
    );
    km.client.release(msgId);
    assert.equal(answer.content.status, 'ok');
    assert.equal(answer.content.execution_count, 1);
    const stream = iopub.find(m => m.header.msg_type === 'stream');
    assert.equal(stream?.content.text, SERVICE_EXECUTE_TEXT);
  });

  it('lists the open nbx comm in comm_info', async () => {
    const { msgId, reply } = km.client.request('shell', 'comm_info_request', {
      target_name: 'nbx'
    });
    const answer = await within(reply, 5000, 'comm_info_reply');
    km.client.release(msgId);
    assert.deepEqual(answer.content.comms, { [comm.commId]: { target_name: 'nbx' } });
  });

  it('lists runs as an Arrow table in a binary buffer, or as JSON', async () => {
    const a = makeRun({ label: 'first' });
    const b = makeRun({ label: 'second', status: 'error' });
    const { reply, buffers } = await comm.call('listRuns');
    assert.ok(reply.ok);
    const result = reply.result as { columns: { name: string }[] };
    assert.ok(
      result.columns.some(c => c.name === '=lr'),
      'the columns are described'
    );
    assert.deepEqual(
      { ...result, columns: [] },
      {
        root: home,
        runs: 2,
        matched: 2,
        rows: 2,
        format: 'arrow',
        warnings: [],
        columns: [],
        keyMetric: null,
        missing: []
      }
    );
    assert.equal(buffers.length, 1);
    const table = tableFromIPC(buffers[0]);
    assert.equal(table.numRows, 2);
    const ids = [...(table.getChild('id') ?? [])];
    assert.deepEqual(new Set(ids), new Set([a.id, b.id]));
    assert.ok(table.getChild('=lr'), 'flags are columns');

    const json = await comm.ok<{ metas: RunMeta[] }>('listRuns', { format: 'json' });
    assert.deepEqual(new Set(json.metas.map(m => m.label)), new Set(['first', 'second']));

    const other = path.join(project, 'other-root');
    saveSettings('{ "runsRoot": "other-root" }');
    const empty = await comm.call('listRuns', { root: other });
    assert.ok(empty.reply.ok);
    assert.deepEqual(
      { ...(empty.reply.result as object), columns: [] },
      {
        root: other,
        runs: 0,
        matched: 0,
        rows: 0,
        format: 'arrow',
        warnings: [],
        columns: [],
        keyMetric: null,
        missing: []
      }
    );
    assert.equal(tableFromIPC(empty.buffers[0]).numRows, 0);
    removeRun(home, a.id);
    removeRun(home, b.id);
  });

  it('gets a run, its notebooks and its log tail', async () => {
    const run = makeRun({ label: 'show me' });
    const meta = await comm.ok<RunMeta>('getRun', { id: run.id });
    assert.equal(meta.id, run.id);
    assert.equal(meta.label, 'show me');
    assert.equal((await comm.ok<RunMeta>('getRun', { id: run.id.slice(0, 10) })).id, run.id);

    assert.match(await comm.fails('getRun', { id: 'ffffffffff' }), /no run matches 'ffffffffff'/);
    assert.equal(
      await comm.fails('getRun', { id: 42 }),
      "parameter 'id' must be a non-empty string, not number 42"
    );

    assert.match(
      await comm.fails('getNotebook', { id: run.id, which: 'executed' }),
      /has no executed notebook yet/
    );
    const nb = notebook('python3', [code('x = 1')]);
    fs.writeFileSync(run.snapshotPath, JSON.stringify(nb));
    assert.deepEqual(await comm.ok('getNotebook', { id: run.id, which: 'snapshot' }), nb);
    assert.match(
      await comm.fails('getNotebook', { id: run.id, which: 'draft' }),
      /parameter 'which' must be one of 'executed', 'snapshot'/
    );

    assert.deepEqual(await comm.ok('getLogTail', { id: run.id }), {
      text: '',
      size: 0,
      truncated: false
    });
    fs.writeFileSync(run.logPath, 'step=1 loss=0.5\nstep=2 loss=0.25\n');
    assert.deepEqual(await comm.ok('getLogTail', { id: run.id, maxBytes: 10 }), {
      text: 'loss=0.25\n',
      size: 33,
      truncated: true
    });
    removeRun(home, run.id);
  });

  it('sets labels and tags', async () => {
    const run = makeRun();
    assert.equal(
      (await comm.ok<RunMeta>('setLabel', { id: run.id, text: ' baseline ' })).label,
      'baseline'
    );
    assert.equal(run.readMeta().label, 'baseline');
    assert.equal((await comm.ok<RunMeta>('setLabel', { id: run.id, text: '' })).label, null);

    const tags = (changes: string[]): Promise<RunMeta> =>
      comm.ok('setTags', { id: run.id, changes });
    assert.deepEqual((await tags(['+a', 'b'])).tags, ['a', 'b']);
    assert.deepEqual((await tags(['-a', '+c'])).tags, ['b', 'c']);
    assert.deepEqual(run.readMeta().tags, ['b', 'c']);
    const replaced = await comm.ok<RunMeta>('setTags', { id: run.id, tags: ['x'] });
    assert.deepEqual(replaced.tags, ['x']);
    assert.match(await comm.fails('setTags', { id: run.id, changes: ['+two words'] }), /no spaces/);
    assert.match(await comm.fails('setTags', { id: run.id }), /give either 'changes'/);
    removeRun(home, run.id);
  });

  it('deletes runs, refusing running ones unless forced', async () => {
    const done = makeRun();
    const live = makeRun({
      status: 'running',
      pid: process.pid,
      pidStart: processStartToken(process.pid),
      host: os.hostname()
    });
    const result = await comm.ok<{ results: Content[] }>('deleteRuns', {
      ids: [done.id, live.id, 'nosuchrun']
    });
    assert.deepEqual(result.results[0], { id: done.id, ok: true });
    assert.equal(result.results[1].ok, false);
    assert.match(String(result.results[1].error), /is running/);
    assert.deepEqual(result.results[2], {
      id: 'nosuchrun',
      ok: false,
      error: `no run nosuchrun in ${home}`
    });
    assert.equal(done.exists(), false);
    assert.equal(live.exists(), true);
    const forced = await comm.ok<{ results: Content[] }>('deleteRuns', {
      ids: [live.id],
      force: true
    });
    assert.deepEqual(forced.results, [{ id: live.id, ok: true }]);
    assert.equal(live.exists(), false);
    assert.match(await comm.fails('deleteRuns', { ids: [] }), /non-empty list/);
  });

  it('serves only its own runs root and those the saved settings name', async () => {
    const run = makeRun();
    const elsewhere = path.join(project, 'elsewhere');
    const refused = /^the nbx service does not serve runs root .*elsewhere: it serves .*nbx-home/;
    const everyMethod: [string, Content][] = [
      ['info', {}],
      ['listRuns', {}],
      ['getRun', { id: run.id }],
      ['getNotebook', { id: run.id }],
      ['getLogTail', { id: run.id }],
      ['setLabel', { id: run.id, text: 'x' }],
      ['setTags', { id: run.id, changes: ['+x'] }],
      ['stopRuns', { ids: [run.id] }],
      ['deleteRuns', { ids: [run.id] }],
      ['restartRun', { id: run.id }],
      ['startRun', { path: 'train.ipynb', gpus: [] }]
    ];
    saveSettings('{ "runsRoot": "" }');
    for (const [method, params] of everyMethod) {
      assert.match(await comm.fails(method, { ...params, root: elsewhere }), refused, method);
      assert.match(await comm.fails(method, { ...params, root: '../..' }), /does not serve/);
    }
    assert.equal(fs.existsSync(elsewhere), false, 'nothing written there');
    assert.equal(run.readMeta().label, null);

    // Named in the settings (relative to the service's directory, comments allowed): served.
    saveSettings('{\n  // where runs go\n  "runsRoot": "elsewhere",\n}');
    assert.equal((await comm.ok<{ root: string }>('info', { root: elsewhere })).root, elsewhere);
    const third = tempDir('nbx-third-root-');
    assert.match(await comm.fails('listRuns', { root: third }), /does not serve/);
    saveSettings(JSON.stringify({ runsRoot: 'elsewhere', otherRunsRoots: [third] }));
    assert.equal((await comm.ok<{ root: string }>('listRuns', { root: third })).root, third);
    assert.equal((await comm.ok<{ root: string }>('listRuns', { root: home })).root, home);
    saveSettings('{}');
    assert.match(await comm.fails('listRuns', { root: third }), /does not serve/);
    removeRun(home, run.id);
  });

  it('deletes only run directories, named by their full id', async () => {
    const runs = path.join(home, 'runs');
    const run = makeRun();
    const plain = path.join(runs, 'important');
    fs.mkdirSync(plain, { recursive: true });
    fs.writeFileSync(path.join(plain, 'data.txt'), 'keep me');
    const other = makeRun();
    const copied = path.join(runs, 'copy');
    fs.mkdirSync(copied);
    fs.copyFileSync(other.metaPath, path.join(copied, 'meta.json'));
    const outside = tempDir('nbx-outside-');
    fs.copyFileSync(other.metaPath, path.join(outside, 'meta.json'));
    const linkedId = 'linked';
    fs.symlinkSync(outside, path.join(runs, linkedId));
    const garbage = path.join(runs, 'garbage');
    fs.mkdirSync(garbage);
    fs.writeFileSync(path.join(garbage, 'meta.json'), '{ not json');
    const result = await comm.ok<{ results: Content[] }>('deleteRuns', {
      ids: ['important', 'copy', linkedId, 'garbage', run.id.slice(0, 12), '../runs', run.id]
    });
    const errors = result.results.map(r => (r.ok ? 'ok' : String(r.error)));
    const notRun = `in ${home} is not a run directory`;
    assert.equal(errors[0], `important ${notRun} (no valid meta.json)`);
    assert.equal(errors[1], `copy ${notRun} (its meta.json is another run's)`);
    assert.equal(errors[2], `no run linked in ${home}`);
    assert.equal(errors[3], `garbage ${notRun} (no valid meta.json)`);
    assert.equal(errors[4], `no run ${run.id.slice(0, 12)} in ${home}`, 'a prefix is not an id');
    assert.equal(errors[5], "'../runs' is not a run id");
    assert.equal(errors[6], 'ok');
    assert.equal(fs.readFileSync(path.join(plain, 'data.txt'), 'utf8'), 'keep me');
    assert.ok(fs.existsSync(path.join(copied, 'meta.json')));
    assert.ok(fs.existsSync(path.join(outside, 'meta.json')), 'the symlink target is kept');
    assert.ok(fs.existsSync(garbage));
    assert.equal(run.exists(), false);
    for (const dir of [plain, copied, path.join(runs, linkedId), garbage]) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    removeRun(home, other.id);
  });

  it('reads only regular files of the run directory, never through a symlink', async () => {
    const run = makeRun();
    const outside = tempDir('nbx-secret-');
    const secret = path.join(outside, 'secret.txt');
    fs.writeFileSync(secret, 'the secret');
    const nb = path.join(outside, 'secret.ipynb');
    fs.writeFileSync(nb, JSON.stringify(notebook('python3', [code('secret = 1')])));
    fs.symlinkSync(secret, run.logPath);
    fs.symlinkSync(secret, run.kernelLogPath);
    fs.symlinkSync(nb, run.executedPath);
    fs.mkdirSync(run.snapshotPath);
    const notRegular = (name: string) => new RegExp(`^run \\w+: ${name} is not a regular file`);
    assert.match(await comm.fails('getLogTail', { id: run.id }), notRegular('output\\.log'));
    assert.match(
      await comm.fails('getLogTail', { id: run.id, log: 'kernel' }),
      notRegular('kernel\\.log')
    );
    assert.match(await comm.fails('getNotebook', { id: run.id }), notRegular('executed\\.ipynb'));
    assert.match(
      await comm.fails('getNotebook', { id: run.id, which: 'snapshot' }),
      notRegular('snapshot\\.ipynb')
    );
    const linkedMeta = makeRun();
    fs.renameSync(linkedMeta.metaPath, path.join(outside, 'meta.json'));
    fs.symlinkSync(path.join(outside, 'meta.json'), linkedMeta.metaPath);
    assert.match(await comm.fails('getRun', { id: linkedMeta.id }), notRegular('meta\\.json'));
    removeRun(home, run.id);
    removeRun(home, linkedMeta.id);
    assert.equal(fs.readFileSync(secret, 'utf8'), 'the secret');
  });

  it('offers no way to run a notebook in the service kernel', async () => {
    writeNotebook(project, 'plain.ipynb', notebook('python3', [code('x = 1', ['parameters'])]));
    const asService = /kernel 'nbx-service' is the nbx service kernel, which runs no notebooks/;
    for (const method of ['flags', 'previewTrials', 'startRun']) {
      const params = { path: 'plain.ipynb', kernel: 'nbx-service', flags: { x: '[1,2]' } };
      assert.match(await comm.fails(method, params), asService, method);
    }
  });

  it('reports GPUs from nvidia-smi (the fake one on PATH)', async () => {
    const result = await comm.ok<{ gpus: Content[]; reason: string | null }>('gpus');
    assert.equal(result.reason, null);
    assert.equal(result.gpus.length, 4);
    assert.equal(result.gpus[0].index, 0);
    assert.equal(typeof result.gpus[0].name, 'string');
  });

  it('lists kernels without the service kernel, and reads flags', async () => {
    const kernels = await comm.ok<{ name: string }[]>('kernels');
    const names = kernels.map(k => k.name);
    assert.ok(names.includes('python3'), names.join(', '));
    assert.ok(!names.includes('nbx-service'));

    const file = writeNotebook(
      project,
      'flags.ipynb',
      notebook('python3', [code('lr = 0.1  # learning rate\nname = "adam"', ['parameters'])])
    );
    const flags = await comm.ok<{ language: string; kernel: string; flags: Content[] }>('flags', {
      path: path.basename(file)
    });
    assert.equal(flags.language, 'python');
    assert.equal(flags.kernel, 'python3');
    assert.deepEqual(
      flags.flags.map(f => [f.name, f.type, f.default, f.description]),
      [
        ['lr', 'number', 0.1, 'learning rate'],
        ['name', 'string', 'adam', null]
      ]
    );
    const unsaved = notebook('python3', [code('epochs = 3', ['parameters'])]);
    const edited = await comm.ok<{ flags: Content[] }>('flags', { path: file, content: unsaved });
    assert.deepEqual(
      edited.flags.map(f => f.name),
      ['epochs']
    );
    assert.match(await comm.fails('flags', { path: 'missing.ipynb' }), /no such notebook/);
  });

  it('answers unknown methods and malformed requests with errors', async () => {
    assert.match(await comm.fails('launchRockets'), /^unknown method 'launchRockets'; methods: /);
    const noId = await comm.send({ method: 'listRuns' });
    assert.deepEqual(noId.reply, {
      id: null,
      ok: false,
      error: 'malformed request: "id" must be an integer'
    });
    const notObject = await comm.send('listRuns');
    assert.equal(notObject.reply.ok, false);
    assert.equal(await comm.fails('getRun', {}), "missing parameter 'id' (a string)");
    // Still serving.
    assert.ok((await comm.call('info')).reply.ok);
  });

  it('pushes runs-changed when meta.json changes, debounced', async () => {
    const run = makeRun();
    await sleep(400);
    const since = comm.events.length;
    for (let i = 0; i < 8; i++) {
      run.updateMeta({ label: `quick ${i}` });
    }
    await comm.changed(run.id, since, 'the meta.json changes');
    await sleep(500);
    const naming = comm.events.slice(since).filter(e => e.ids.includes(run.id));
    assert.ok(naming.length <= 2, `8 quick changes gave ${naming.length} events`);
    assert.equal(naming[0].root, home);
    removeRun(home, run.id);
  });

  it("pushes the points a watched run's logs gain, until unwatched", async () => {
    // Any run can be watched; the panel watches the live ones.
    const run = makeRun();
    const { watch } = await comm.ok<{ watch: number }>('watchScalars', { ids: [run.id] });
    // No scalars directory yet: the watch waits for it.
    const writer = new ScalarLogWriter(path.join(scalarsDir(run.path), apiScalarLogName(42)));
    const t0 = Date.now();
    for (let step = 0; step < 5; step++) {
      writer.point('loss', step, t0 + step, 1 / (step + 1));
    }
    writer.flush();
    const steps = (): number[] =>
      comm.scalars
        .filter(p => p.event.id === run.id)
        .flatMap(p => [
          ...(tableFromIPC(p.buffers[p.event.keys.indexOf('loss')]).getChild('step')?.toArray() ??
            [])
        ]);
    await waitFor(() => (steps().length === 5 ? true : undefined), 5000, 'the first points');
    writer.point('loss', 5, t0 + 5, 0.1);
    writer.flush();
    await waitFor(() => (steps().length === 6 ? true : undefined), 5000, 'a later point');
    assert.deepEqual(steps(), [0, 1, 2, 3, 4, 5]);
    await comm.ok('unwatchScalars', { watch });
    const pushes = comm.scalars.length;
    writer.point('loss', 6, t0 + 6, 0.05);
    writer.close();
    await sleep(500);
    assert.equal(comm.scalars.length, pushes, 'nothing pushed once unwatched');
    removeRun(home, run.id);
  });

  it('pushes runs-changed when runs are created and removed', async () => {
    const since = comm.events.length;
    const run = makeRun();
    await comm.changed(run.id, since, 'the new run');
    const later = comm.events.length;
    removeRun(home, run.id);
    await comm.changed(run.id, later, 'the removed run');
  });

  it('names the root and the removed runs in runs-changed', async () => {
    const kept = makeRun();
    const gone = makeRun();
    await sleep(400);
    const since = comm.events.length;
    kept.updateMeta({ label: 'kept' });
    removeRun(home, gone.id);
    await comm.changed(kept.id, since, 'the changed run');
    await comm.changed(gone.id, since, 'the removed run');
    const events = comm.events.slice(since);
    assert.ok(events.every(e => e.root === home));
    assert.deepEqual(
      events.flatMap(e => e.removed),
      [gone.id]
    );
    // The changed run listed by id: one row.
    const { reply, buffers } = await comm.call('listRuns', { ids: [kept.id] });
    assert.ok(reply.ok);
    assert.deepEqual([...(tableFromIPC(buffers[0]).getChild('id') ?? [])], [kept.id]);
    removeRun(home, kept.id);
  });

  it('starts a python3 notebook as a detached run that completes', async () => {
    const file = writeNotebook(
      project,
      'hello.ipynb',
      notebook('python3', [code('print("hello from the service")')])
    );
    const since = comm.events.length;
    const result = await comm.ok<{ id: string; path: string; meta: RunMeta }>('startRun', {
      path: 'hello.ipynb',
      label: 'from the lab',
      tags: ['lab'],
      gpus: []
    });
    const run = new RunDir(home, result.id);
    started.push(run);
    assert.equal(result.path, run.path);
    assert.equal(result.meta.notebook, file);
    assert.equal(result.meta.label, 'from the lab');
    assert.deepEqual(result.meta.tags, ['lab']);
    assert.equal(result.meta.gpus, '');
    await comm.changed(result.id, since, 'the started run');
    const final = await waitForStatus(
      comm,
      result.id,
      ['completed', 'error', 'terminated'],
      90_000
    );
    assert.equal(final.status, 'completed', final.error ?? '');
    assert.match(fs.readFileSync(run.logPath, 'utf8'), /hello from the service/);
    const executed = await comm.ok<{ cells: { outputs: Content[] }[] }>('getNotebook', {
      id: result.id
    });
    assert.equal(executed.cells[0].outputs.length, 1);
  });

  it('snapshots the content given instead of the file on disk', {}, async () => {
    writeNotebook(project, 'edited.ipynb', notebook('python3', [code('print("on disk")')]));
    const content = notebook('python3', [code('print("unsaved edit")')]);
    const result = await comm.ok<{ id: string }>('startRun', { path: 'edited.ipynb', content });
    const run = new RunDir(home, result.id);
    started.push(run);
    const snapshot = fs.readFileSync(run.snapshotPath, 'utf8');
    assert.match(snapshot, /unsaved edit/);
    const final = await waitForStatus(comm, result.id, ['completed', 'error'], 90_000);
    assert.equal(final.status, 'completed');
    assert.match(fs.readFileSync(run.logPath, 'utf8'), /unsaved edit/);
  });

  it('refuses bad startRun requests with one line', async () => {
    assert.match(await comm.fails('startRun', { path: 'missing.ipynb' }), /no such notebook/);
    writeNotebook(project, 'ok.ipynb', notebook('python3', [code('1')]));
    assert.match(
      await comm.fails('startRun', { path: 'ok.ipynb', gpus: ['zero'] }),
      /invalid --gpus/
    );
    // The fake nvidia-smi on the service's PATH lists GPUs 0-3.
    assert.equal(
      await comm.fails('startRun', { path: 'ok.ipynb', gpus: [1, 99] }),
      "invalid --gpus '1,99': no GPU 99 (nvidia-smi lists GPUs 0, 1, 2, 3)"
    );
    const done = makeRun();
    assert.match(await comm.fails('restartRun', { id: done.id, gpus: '7' }), /no GPU 7/);
    assert.equal(done.readMeta().status, 'completed', 'not restarted');
    removeRun(home, done.id);
    assert.match(
      await comm.fails('startRun', { path: 'ok.ipynb', kernel: 'nosuchkernel' }),
      /no kernel named 'nosuchkernel'/
    );
    assert.match(await comm.fails('startRun', { path: 'ok.ipynb', timeout: -1 }), /timeout/);
  });

  it('stops a long-running run', async () => {
    writeNotebook(
      project,
      'sleepy.ipynb',
      notebook('python3', [code('import time\nprint("sleeping", flush=True)\ntime.sleep(120)')])
    );
    const { id } = await comm.ok<{ id: string }>('startRun', { path: 'sleepy.ipynb' });
    const run = new RunDir(home, id);
    started.push(run);
    await waitFor(
      () =>
        fs.existsSync(run.logPath) && /sleeping/.test(fs.readFileSync(run.logPath, 'utf8'))
          ? true
          : undefined,
      60_000,
      'the cell to start sleeping'
    );
    const stopped = await comm.ok<{ results: Content[] }>('stopRuns', { ids: [id] });
    assert.deepEqual(stopped.results, [{ id, ok: true, status: 'terminated' }]);
    assert.equal((await comm.ok<RunMeta>('getRun', { id })).status, 'terminated');
    const again = await comm.ok<{ results: Content[] }>('stopRuns', { ids: [id] });
    assert.equal(again.results[0].ok, false);
    assert.match(String(again.results[0].error), /is not running/);
  });

  it('ignores a message with a bad signature and keeps serving', async () => {
    const dealer = new zmq.Dealer({ linger: 0 });
    dealer.connect(address(km.connection, 'shell'));
    const answered: IMessage[] = [];
    km.client.onUnclaimedIopub = msg => answered.push(msg);
    try {
      const forged = createMessage(km.client.session, 'comm_msg', {
        comm_id: comm.commId,
        data: { id: 999, method: 'info', params: {} }
      });
      await dealer.send(serialize(forged, new Signer('not-the-key')));
      await sleep(300);
      assert.ok(
        !answered.some(m => parentId(m) === forged.header.msg_id),
        'forged request answered'
      );
      assert.ok((await comm.call('info')).reply.ok);
    } finally {
      km.client.onUnclaimedIopub = null;
      dealer.close();
    }
  });
});

async function waitForStatus(
  comm: ServiceComm,
  id: string,
  statuses: string[],
  timeoutMs: number
): Promise<RunMeta> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const meta = await comm.ok<RunMeta>('getRun', { id });
    if (statuses.includes(meta.status)) {
      return meta;
    }
    assert.ok(Date.now() < deadline, `run ${id} still ${meta.status} after ${timeoutMs} ms`);
    await sleep(200);
  }
}

describe('service kernel lifecycle', () => {
  /** Starts main.js directly; resolves once it answered kernel_info, with the time it took. */
  async function startDirect(): Promise<{
    client: KernelClient;
    exited: Promise<number | null>;
    stderr: () => string;
    ms: number;
    pid: number;
    kill: () => void;
  }> {
    const info = await newConnectionInfo('nbx-service');
    const file = writeConnectionFile(info);
    const client = new KernelClient(info);
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [SERVICE_MAIN, '-f', file], {
      cwd: tempDir('nbx-service-cwd-'),
      stdio: ['ignore', 'ignore', 'pipe']
    });
    let err = '';
    child.stderr.on('data', d => (err += String(d)));
    const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    for (;;) {
      const { reply, msgId } = client.request('shell', 'kernel_info_request', {});
      const answer = await Promise.race([reply, sleep(20).then(() => null)]);
      client.release(msgId);
      if (answer) {
        break;
      }
      assert.ok(Number(process.hrtime.bigint() - t0) < 10e9, `no kernel_info reply: ${err}`);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // iopub drops what is published before the subscription arrives: ask until some is seen.
    while (client.lastIopubAt === 0) {
      const { reply, msgId } = client.request('shell', 'kernel_info_request', {});
      await Promise.race([reply, sleep(100)]);
      await sleep(20);
      client.release(msgId);
    }
    return {
      client,
      exited,
      stderr: () => err,
      ms,
      pid: child.pid ?? -1,
      kill: () => {
        child.kill('SIGKILL');
        fs.rmSync(file, { force: true });
      }
    };
  }

  it('answers its first kernel_info soon after start, and exits on shutdown_request', async t => {
    const k = await startDirect();
    try {
      t.diagnostic(`service kernel start to first kernel_info reply: ${k.ms.toFixed(0)} ms`);
      const { reply, msgId } = k.client.request('control', 'shutdown_request', { restart: false });
      const answer = await within(reply, 5000, 'shutdown_reply');
      k.client.release(msgId);
      assert.equal(answer.content.status, 'ok');
      assert.equal(await within(k.exited, 5000, 'exit'), 0, k.stderr());
    } finally {
      k.client.close();
      k.kill();
    }
  });

  it('shuts down when the process that started it is killed outright', async () => {
    const info = await newConnectionInfo('nbx-service');
    const file = writeConnectionFile(info);
    // A parent that starts the service as Jupyter Server does, sharing its output pipe.
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const child = require('child_process').spawn(process.execPath, ` +
          `[${JSON.stringify(SERVICE_MAIN)}, '-f', ${JSON.stringify(file)}], ` +
          `{ stdio: ['ignore', 'inherit', 'inherit'] });\n` +
          `console.log(child.pid);\nsetInterval(() => {}, 1000);`
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: tempDir('nbx-service-cwd-') }
    );
    let out = '';
    parent.stdout.on('data', d => (out += String(d)));
    const pipeClosed = new Promise(resolve => parent.stdout.once('close', resolve));
    const client = new KernelClient(info);
    try {
      for (;;) {
        const { reply, msgId } = client.request('shell', 'kernel_info_request', {});
        const answer = await Promise.race([reply, sleep(100).then(() => null)]);
        client.release(msgId);
        if (answer) {
          break;
        }
      }
      const pid = Number(out.trim());
      assert.ok(pid > 0 && pidAlive(pid), `the service runs (${out})`);
      parent.kill('SIGKILL');
      // The pipe closes once nothing holds it: the service is gone too.
      await within(pipeClosed, 15_000, 'the service to exit after its parent was killed');
      assert.equal(pidAlive(pid), false);
    } finally {
      client.close();
      parent.kill('SIGKILL');
      fs.rmSync(file, { force: true });
    }
  });

  it('exits cleanly on SIGTERM', async () => {
    const k = await startDirect();
    try {
      assert.equal(await pidOf(k.client), k.pid);
      process.kill(k.pid, 'SIGTERM');
      assert.equal(await within(k.exited, 5000, 'exit'), 0, k.stderr());
    } finally {
      k.client.close();
      k.kill();
    }
  });
});

/** The service's pid, asked over a comm. */
async function pidOf(client: KernelClient): Promise<number> {
  const comm = new ServiceComm(client);
  await comm.open();
  const info = await comm.ok<{ pid: number }>('info');
  return info.pid;
}
