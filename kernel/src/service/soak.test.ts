/**
 * The service survives its clients (a bounded soak): for about a minute, real python3 runs
 * start and finish while comms watch and unwatch them (run output and live scalars), and
 * comms close with their watches held and pushes pending, as reloaded tabs do. Afterwards
 * no watch is left, nothing is followed, the service logged no error, and its heap (after
 * a full GC) is within a bound of where it was after the warm-up. The loop stops by itself.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

import type { IWatchRunResult } from '../contract';
import { RunDir } from '../store/run-dir';
import { cliEnv, code, nbx, notebook, tempDir, waitFor, writeNotebook } from '../testing/fixtures';
import { inProcessService, ServiceComm } from '../testing/service-comm';

/** How long the churn lasts. */
const SOAK_MS = 60_000;
/** How much the heap may grow over it (after GC). */
const HEAP_BOUND = 24 * 1024 * 1024;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('the service under churn', () => {
  it('leaks no watch and keeps its heap flat while runs and views come and go', async () => {
    const project = tempDir('nbx-soak-');
    const home = path.join(project, 'nbx-home');
    const env = cliEnv(home);
    writeNotebook(
      project,
      'short.ipynb',
      notebook('python3', [
        code(
          [
            'import time',
            'for i in range(20):',
            '    print(f"step={i} loss={1 / (i + 1):.4f}", flush=True)',
            '    print(f"\\rprogress {i}", end="", flush=True)',
            '    time.sleep(0.1)'
          ].join('\n')
        )
      ])
    );
    /** Every run started, to wait for their runners before the test ends. */
    const started: RunDir[] = [];
    const start = (): RunDir => {
      const r = nbx(['run', 'short.ipynb', '--detach', '--no-gpus'], { cwd: project, env });
      assert.equal(r.status, 0, r.stderr);
      const run = new RunDir(home, r.stdout.trim());
      started.push(run);
      return run;
    };
    const live = await inProcessService({ cwd: project, env });
    const { service, client, logs } = live;
    const comms: ServiceComm[] = [];
    const held = new Map<ServiceComm, { method: string; watch: number }[]>();
    const open = async (): Promise<void> => {
      const comm = new ServiceComm(client);
      await comm.open();
      comms.push(comm);
      held.set(comm, []);
    };
    const runs: RunDir[] = [];
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    /** One step of churn: a watch made or let go, on a random comm and run. */
    const step = async (): Promise<void> => {
      const comm = comms[random(comms.length)];
      const watches = held.get(comm) ?? [];
      if (watches.length > 0 && random(2) === 0) {
        const [{ method, watch }] = watches.splice(random(watches.length), 1);
        await comm.ok(method === 'watchRun' ? 'unwatchRun' : 'unwatchScalars', { watch });
      } else if (runs.length > 0) {
        const run = runs[random(runs.length)];
        if (random(3) === 0) {
          const { watch } = await comm.ok<{ watch: number }>('watchScalars', { ids: [run.id] });
          watches.push({ method: 'watchScalars', watch });
        } else {
          const { watch } = await comm.ok<IWatchRunResult>('watchRun', { id: run.id });
          watches.push({ method: 'watchRun', watch });
        }
      }
      // What the test collects is not the service's memory.
      comm.output.length = 0;
      comm.scalars.length = 0;
      comm.events.length = 0;
    };
    try {
      await open();
      await open();
      // Warm-up: the engine loaded, a run followed to its end.
      const first = start();
      runs.push(first);
      for (let i = 0; i < 20; i++) {
        await step();
      }
      await waitFor(
        () => (['completed', 'error'].includes(first.readMeta().status) ? true : undefined),
        90_000,
        'the warm-up run'
      );
      const baseline = heapAfterGc();

      const deadline = Date.now() + SOAK_MS;
      let lastStart = 0;
      let lastReload = Date.now();
      let steps = 0;
      while (Date.now() < deadline) {
        if (Date.now() - lastStart > 4000) {
          runs.push(start());
          // Keep a few recent runs to watch (finished ones too).
          runs.splice(0, Math.max(0, runs.length - 4));
          lastStart = Date.now();
        }
        if (Date.now() - lastReload > 8000) {
          // A tab reloaded: its comm closes with its watches held, a new one opens.
          const gone = comms.splice(random(comms.length), 1)[0];
          await gone.close();
          held.delete(gone);
          await open();
          lastReload = Date.now();
        }
        await step();
        steps++;
        await new Promise(resolve => setTimeout(resolve, 50));
      }
      // The last runs end before the test does (their directories go at exit).
      await waitFor(
        () =>
          started.every(r => ['completed', 'error', 'terminated'].includes(r.readMeta().status))
            ? true
            : undefined,
        90_000,
        'the runs started to end'
      );
      for (const [comm, watches] of held) {
        for (const { method, watch } of watches.splice(0)) {
          await comm.ok(method === 'watchRun' ? 'unwatchRun' : 'unwatchScalars', { watch });
        }
      }
      assert.deepEqual(service.live, {
        connections: comms.length,
        watches: 0,
        scalarRuns: 0,
        streamedRuns: 0
      });
      const grown = heapAfterGc() - baseline;
      console.log(`# soak: ${steps} steps, heap grew ${(grown / 1048576).toFixed(1)} MiB`);
      assert.ok(grown < HEAP_BOUND, `the heap grew by ${grown} bytes`);
      assert.deepEqual(
        logs.filter(line => /error|failed|uncaught|unhandled/i.test(line)),
        [],
        'no errors in the service log'
      );
    } finally {
      live.close();
    }
  });
});
