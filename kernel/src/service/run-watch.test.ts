/**
 * Live run output through the service, end to end: the service in this process on a real
 * kernel server, a real comm from the real client, and real detached runs of python3
 * notebooks (the runner writing the executed notebook and its journal). What the pushes
 * say, applied to what `watchRun` answered, must come to the executed notebook itself;
 * pushes are bounded in size and rate; watches die with `unwatchRun` and with their comm.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { after, before, describe, it } from 'node:test';

import type { JSONObject, JSONValue } from '../base/json';
import type { IRunOutputEvent, IWatchRunResult, ITextChange } from '../contract';
import { readExecutedNotebook } from '../executor/journal';
import { RunDir } from '../store/run-dir';
import {
  cliEnv,
  code,
  type KernelName,
  nbx,
  notebook,
  tempDir,
  waitFor,
  writeNotebook
} from '../testing/fixtures';
import { inProcessService, ServiceComm, type IInProcessService } from '../testing/service-comm';
import type { NbxService } from './service';
import { streamText } from './run-updates';

/** What a view holds: the state `watchRun` answered with the pushes since applied. */
class ViewState {
  notebook: JSONObject | null;
  log: string;
  seq: number;
  running: number | null;
  /** Every running cell seen, and the stream texts seen after each push. */
  readonly seen: { running: number | null; texts: string[] }[] = [];

  constructor(start: IWatchRunResult) {
    this.notebook = start.notebook;
    this.log = start.log.text;
    this.seq = start.seq;
    this.running = start.running;
  }

  apply(event: IRunOutputEvent): void {
    if (event.seq <= this.seq) {
      return;
    }
    assert.equal(event.seq, this.seq + 1, 'pushes of a run come in order, none missed');
    this.seq = event.seq;
    this.running = event.running;
    if (event.notebook) {
      this.notebook = event.notebook;
    }
    for (const update of event.cells) {
      const cell = (this.notebook?.cells as JSONObject[])[update.cell];
      const outputs = cell.outputs as JSONObject[];
      for (const [index, change] of update.text ?? []) {
        outputs[index] = { ...outputs[index], text: changed(streamText(outputs[index]), change) };
      }
      for (const [index, output] of update.set ?? []) {
        outputs[index] = output;
      }
      outputs.length = update.outputs;
      if (update.executionCount !== undefined) {
        cell.execution_count = update.executionCount;
      }
    }
    if (event.log) {
      this.log = event.log.reset ? event.log.text : changed(this.log, event.log);
    }
    this.seen.push({ running: this.running, texts: this.texts() });
  }

  /** The stream texts of every cell, in order. */
  texts(): string[] {
    const cells = (this.notebook?.cells ?? []) as JSONObject[];
    return cells.flatMap(cell =>
      ((cell.outputs ?? []) as JSONObject[])
        .filter(o => o.output_type === 'stream')
        .map(o => streamText(o))
    );
  }
}

function changed(text: string, change: ITextChange): string {
  return text.slice(0, text.length - change.drop) + change.text;
}

/** The outputs of every code cell, stream texts joined. */
function outputsOf(nb: JSONObject | null): JSONValue[] {
  return ((nb?.cells ?? []) as JSONObject[])
    .filter(cell => cell.cell_type === 'code')
    .map(cell =>
      ((cell.outputs ?? []) as JSONObject[]).map(o =>
        o.output_type === 'stream' ? { ...o, text: streamText(o) } : o
      )
    );
}

describe('watchRun: live run output', () => {
  const project = tempDir('nbx-run-watch-');
  const home = path.join(project, 'nbx-home');
  const env = cliEnv(home);
  let live: IInProcessService;
  let service: NbxService;
  let logs: string[];
  let comm: ServiceComm;

  /** Starts `cells` as a detached run (python3 unless said); its directory. */
  function start(name: string, cells: string[], kernel: KernelName = 'python3'): RunDir {
    writeNotebook(
      project,
      `${name}.ipynb`,
      notebook(
        kernel,
        cells.map(c => code(c))
      )
    );
    const r = nbx(['run', `${name}.ipynb`, '--detach', '--no-gpus'], { cwd: project, env });
    assert.equal(r.status, 0, r.stderr);
    return new RunDir(home, r.stdout.trim());
  }

  async function finished(run: RunDir): Promise<void> {
    await waitFor(
      () =>
        ['completed', 'error', 'terminated'].includes(run.readMeta().status) ? true : undefined,
      120_000,
      `run ${run.id} to finish`
    );
  }

  /** Applies the pushes for `id` (from index `from` of the comm's pushes) to `view`. */
  function follow(view: ViewState, id: string, from: number): () => void {
    let next = from;
    return () => {
      for (; next < comm.output.length; next++) {
        if (comm.output[next].id === id) {
          view.apply(comm.output[next]);
        }
      }
    };
  }

  before(async () => {
    live = await inProcessService({ cwd: project, env });
    ({ service, logs } = live);
    comm = new ServiceComm(live.client);
    await comm.open();
  });

  after(() => live.close());

  it('pushes a running cell as it prints: text, displays updated, clear_output(wait), \\r lines', async () => {
    const run = start('live', [
      'print("ready", flush=True)',
      [
        'import time',
        'from IPython.display import display, clear_output',
        'h = display("v0", display_id=True)',
        'for i in range(6):',
        '    print(f"line {i}", flush=True)',
        '    h.update(f"v{i + 1}")',
        '    time.sleep(0.25)',
        'for i in range(11):',
        '    print(f"\\rprogress {i * 10}%", end="", flush=True)',
        '    time.sleep(0.1)',
        'print()',
        'clear_output(wait=True)',
        'print("after the clear", flush=True)',
        'time.sleep(0.5)'
      ].join('\n')
    ]);
    const since = comm.output.length;
    const started = await comm.ok<IWatchRunResult>('watchRun', { id: run.id });
    assert.equal(started.id, run.id);
    assert.equal(service.live.streamedRuns, 1);
    const view = new ViewState(started);
    const sync = follow(view, run.id, since);
    // Lines arrive while the cell runs, with the cell marked running.
    await waitFor(
      () => {
        sync();
        return view.texts().some(t => t.includes('line 2')) && view.running === 1
          ? true
          : undefined;
      },
      60_000,
      'line 2 while cell 2 runs'
    );
    assert.equal(run.readMeta().status, 'running');
    await finished(run);
    const final = readExecutedNotebook(run.executedPath, run.executedJournalPath);
    await waitFor(
      () => {
        sync();
        return isDeepStrictEqual(outputsOf(view.notebook), outputsOf(final)) ? true : undefined;
      },
      10_000,
      'the view to come to the executed notebook'
    );
    assert.equal(view.running, null, 'no cell runs at the end');
    // The progress line was one line that changed, never two progress lines at once.
    const progress = view.seen.flatMap(s => s.texts).filter(t => t.includes('progress'));
    assert.ok(progress.length > 0, 'the progress line was pushed while it ran');
    for (const text of progress) {
      assert.equal(text.match(/progress/g)?.length, 1, JSON.stringify(text));
    }
    assert.match(view.log, /line 5/);
    assert.equal(view.log.match(/progress/g)?.length, 1, 'the log shows one progress line');
    assert.match(view.log, /progress 100%/);
    await comm.ok('unwatchRun', { watch: started.watch });
    assert.equal(service.live.streamedRuns, 0);
    assert.equal(service.live.watches, 0);
  });

  it('pushes a running tslab cell as it logs', async () => {
    const run = start(
      'typescript',
      [
        'console.log("ready");',
        [
          'for (let i = 0; i < 8; i++) {',
          '  console.log(`ts line ${i}`);',
          '  await new Promise(resolve => setTimeout(resolve, 300));',
          '}'
        ].join('\n')
      ],
      'tslab'
    );
    const since = comm.output.length;
    const started = await comm.ok<IWatchRunResult>('watchRun', { id: run.id });
    const view = new ViewState(started);
    const sync = follow(view, run.id, since);
    try {
      await waitFor(
        () => {
          sync();
          return view.texts().some(t => t.includes('ts line 2')) && view.running === 1
            ? true
            : undefined;
        },
        60_000,
        'ts line 2 while cell 2 runs'
      );
      await finished(run);
      const final = readExecutedNotebook(run.executedPath, run.executedJournalPath);
      await waitFor(
        () => {
          sync();
          return isDeepStrictEqual(outputsOf(view.notebook), outputsOf(final)) ? true : undefined;
        },
        10_000,
        'the view to come to the executed notebook'
      );
      assert.match(view.texts().join(''), /ts line 7/);
    } finally {
      await comm.ok('unwatchRun', { watch: started.watch });
    }
  });

  it('coalesces a flood: few pushes a second, bounded text in each, and the end shown', async () => {
    const run = start('flood', [
      [
        'import time',
        'end = time.time() + 3',
        'i = 0',
        'while time.time() < end:',
        '    print(f"flood line {i:08d} " + "x" * 40)',
        '    i += 1',
        'print(f"flood done after {i} lines", flush=True)'
      ].join('\n')
    ]);
    const since = comm.output.length;
    const started = await comm.ok<IWatchRunResult>('watchRun', { id: run.id });
    const view = new ViewState(started);
    const sync = follow(view, run.id, since);
    await finished(run);
    await waitFor(
      () => {
        sync();
        return view.texts().some(t => /flood done after \d+ lines\n$/.test(t)) ? true : undefined;
      },
      10_000,
      'the last line'
    );
    const pushes = comm.output.slice(since).filter(e => e.id === run.id);
    const size = (e: IRunOutputEvent): number =>
      Math.max(
        0,
        ...e.cells.flatMap(u => [
          ...(u.text ?? []).map(([, c]) => c.text.length),
          ...(u.set ?? []).map(([, o]) => streamText(o).length)
        ]),
        e.log?.text.length ?? 0
      );
    const biggest = Math.max(...pushes.map(size));
    // 32 Ki characters of text, and the line saying what is left out.
    assert.ok(biggest <= (1 << 15) + 200, `a push carried ${biggest} characters of one text`);
    const span = (pushes[pushes.length - 1].seq - pushes[0].seq + 1) * 1;
    const seconds = 3.5;
    assert.ok(span <= (seconds * 1000) / 200 + 20, `${span} pushes for ~3 s of flood`);
    const total = Number(/flood done after (\d+) lines/.exec(view.texts().join(''))?.[1]);
    assert.ok(total > 10_000, `the cell printed ${total} lines (a flood)`);
    await comm.ok('unwatchRun', { watch: started.watch });
  });

  it('drops the watches of a comm that closes, even with pushes pending; none leak', async () => {
    const run = start('views', [
      [
        'import time',
        'for i in range(40):',
        '    print(i, flush=True)',
        '    time.sleep(0.1)'
      ].join('\n')
    ]);
    const other = new ServiceComm(live.client);
    await other.open();
    // 20 views open and close on one comm; the run is streamed once.
    const watches: number[] = [];
    for (let i = 0; i < 20; i++) {
      watches.push((await comm.ok<IWatchRunResult>('watchRun', { id: run.id })).watch);
    }
    assert.equal(service.live.streamedRuns, 1);
    assert.equal(service.live.watches, 20);
    for (const watch of watches) {
      await comm.ok('unwatchRun', { watch });
    }
    assert.equal(service.live.streamedRuns, 0);
    assert.equal(service.live.watches, 0);
    // A comm that watches the run and live scalars, then closes while the run prints.
    await other.ok('watchRun', { id: run.id });
    await other.ok('watchScalars', { ids: [run.id] });
    assert.deepEqual(
      { ...service.live, connections: 0 },
      { connections: 0, watches: 2, scalarRuns: 1, streamedRuns: 1 }
    );
    await waitFor(() => (other.output.length > 0 ? true : undefined), 10_000, 'a push');
    await other.close();
    await waitFor(
      () => (service.live.connections === 1 ? true : undefined),
      5000,
      'the comm to close'
    );
    assert.deepEqual(service.live, {
      connections: 1,
      watches: 0,
      scalarRuns: 0,
      streamedRuns: 0
    });
    const pushed = other.output.length;
    await finished(run);
    assert.equal(other.output.length, pushed, 'nothing pushed to a closed comm');
    assert.deepEqual(
      logs.filter(line => /error|failed|uncaught|unhandled/i.test(line)),
      [],
      'no errors in the service log'
    );
  });
});
