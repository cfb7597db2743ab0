/**
 * Warm kernels in sweeps, with real kernels: a trial on a warm kernel sees exactly what it
 * would see on a cold one (environment, working directory, command line, imports resolved
 * from its run directory, GPUs from a fake nvidia-smi); a warm kernel that dies before its
 * trial takes it gives way to a cold start; stopping a sweep, or killing its runner with
 * SIGKILL, leaves no warm kernel behind.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { RunMeta } from '../store/meta';
import { cliProject, readMeta, runIds } from '../testing/cli-project';
import {
  code,
  FAKE_BIN,
  nbx,
  notebook,
  pidAlive,
  processArgv,
  waitFor,
  writeNotebook
} from '../testing/fixtures';
import { PYTHON_PROBE, TSLAB_PROBE } from '../testing/probes';

function trialsOf(home: string): RunMeta[] {
  const batch = runIds(home)
    .map(id => readMeta(home, id))
    .find(m => m.kind === 'batch');
  assert.ok(batch, 'a batch was recorded');
  return batch.trials.map(id => readMeta(home, id));
}

/** The probe line each trial printed, in trial order. */
function probes(home: string): unknown[] {
  return trialsOf(home).map(t => {
    const out = fs.readFileSync(path.join(home, 'runs', t.id, 'output.log'), 'utf8');
    const line = out.split('\n').find(l => l.startsWith('{'));
    assert.ok(line, `trial ${t.id} printed its probe: ${out}`);
    return JSON.parse(line);
  });
}

/** Runs the same 3-trial sweep with warm kernels and with them off; both runs' probes. */
function sweepBothWays(
  kernel: 'tslab' | 'python3',
  cells: ReturnType<typeof code>[],
  files: Record<string, string> = {}
): {
  warm: RunMeta[];
  cold: RunMeta[];
  warmProbes: unknown[];
  coldProbes: unknown[];
  warmShown: string[];
  coldShown: string[];
} {
  const result = {
    warm: [] as RunMeta[],
    cold: [] as RunMeta[],
    warmProbes: [] as unknown[],
    coldProbes: [] as unknown[],
    warmShown: [] as string[],
    coldShown: [] as string[]
  };
  for (const mode of ['warm', 'cold'] as const) {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'probe.ipynb', notebook(kernel, cells));
    for (const [name, text] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, name), text);
    }
    const sweepEnv = {
      ...env,
      PATH: `${FAKE_BIN}${path.delimiter}${env.PATH ?? ''}`,
      CUDA_VISIBLE_DEVICES: '1',
      NBX_WARM_KERNELS: mode === 'warm' ? undefined : '0'
    };
    const r = nbx(['run', 'probe.ipynb', 'x=[0,1,2]'], { cwd: dir, env: sweepEnv });
    assert.equal(r.status, 0, r.stderr);
    result[mode] = trialsOf(home);
    // The kernel row of `nbx show`, which says how each trial's kernel started.
    result[`${mode}Shown`] = result[mode].map(t => {
      const shown = nbx(['show', t.id], { cwd: dir, env: sweepEnv });
      return /^kernel: +(.*)$/m.exec(shown.stdout)?.[1] ?? shown.stdout + shown.stderr;
    });
    // The one difference asked for: the setting itself.
    result[`${mode}Probes`] = probes(home).map(p => {
      const probe = JSON.parse(JSON.stringify(p).split(dir).join('<dir>')) as {
        env: Record<string, string>;
      };
      delete probe.env.NBX_WARM_KERNELS;
      return probe;
    });
  }
  return result;
}

function assertEquivalent(r: ReturnType<typeof sweepBothWays>): void {
  assert.deepEqual(
    r.warm.map(t => t.kernelWarm),
    [false, true, true],
    'the first trial starts cold, the next ones on the kernels started while it ran'
  );
  assert.deepEqual(
    r.cold.map(t => t.kernelWarm),
    [false, false, false],
    'NBX_WARM_KERNELS=0: all cold'
  );
  const started = (shown: string[]): string[] =>
    shown.map(line => /^\S+ \(.+\), started (warm|cold)$/.exec(line)?.[1] ?? line);
  assert.deepEqual(started(r.warmShown), ['cold', 'warm', 'warm'], 'nbx show says so');
  assert.deepEqual(started(r.coldShown), ['cold', 'cold', 'cold']);
  assert.deepEqual(r.warmProbes, r.coldProbes);
  for (const probe of r.warmProbes as { cwd: string; env: Record<string, string> }[]) {
    assert.equal(probe.cwd, '<run>');
    assert.equal(probe.env.CUDA_VISIBLE_DEVICES, '1');
    assert.equal(probe.env.NBX_RUN_ID, '<id>');
  }
}

describe('warm kernels', () => {
  it('a tslab trial on a warm kernel sees what a cold one sees', () => {
    const r = sweepBothWays(
      'tslab',
      [
        code('const x = 0;', ['parameters']),
        code("import * as helper from './helper';"),
        code(TSLAB_PROBE)
      ],
      {
        'helper.ts':
          'export function where(): string { return __filename.split(process.env.NBX_RUN_DIR as string).join("<run>"); }\n'
      }
    );
    assertEquivalent(r);
    const probe = r.warmProbes[1] as { nbx: string; helper: string; argv: string[] };
    assert.match(
      probe.helper,
      /^<run>\/helper\.[jt]s$/,
      'the helper resolves in the run directory'
    );
    assert.match(probe.nbx, /^<run>\/node_modules\/nbx\//);
    assert.match(probe.argv[1], /tslab-kernel\.js$/);
  });

  it('a Python trial on a warm kernel sees what a cold one sees', () => {
    const r = sweepBothWays('python3', [code('x = 0', ['parameters']), code(PYTHON_PROBE)], {
      'helper.py': 'WHERE = __file__\n'
    });
    assertEquivalent(r);
    const probe = r.warmProbes[2] as { helper: string; gpus: string };
    assert.equal(probe.helper, '<run>/helper.py', 'the helper is imported from the run directory');
    assert.match(probe.gpus, /^GPU 0: /);
  });

  it('a warm kernel that dies before its trial takes it gives way to a cold start', () => {
    const { dir, home, env } = cliProject();
    // Trial 0 kills the kernel started for trial 1 (an ipykernel of this runs root, found
    // by its NBX_HOME, with another NBX_RUN_ID) as soon as it has come up, then trial 1 must
    // still run, on a kernel of its own. Kernels of other runs roots are never touched.
    const killer = [
      'import os, signal, time',
      'killed = None',
      'if x == 0:',
      '    me = os.environ["NBX_RUN_ID"].encode()',
      '    home = b"NBX_HOME=" + os.environ["NBX_HOME"].encode()',
      '    deadline = time.time() + 60',
      '    while killed is None and time.time() < deadline:',
      '        for pid in filter(str.isdigit, os.listdir("/proc")):',
      '            try:',
      '                environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\\0")',
      '                cmdline = open(f"/proc/{pid}/cmdline", "rb").read()',
      '            except OSError:',
      '                continue',
      '            ids = [e for e in environ if e.startswith(b"NBX_RUN_ID=")]',
      '            ours = home in environ and b"ipykernel" in cmdline',
      '            if ours and ids and ids[0] != b"NBX_RUN_ID=" + me:',
      '                os.kill(int(pid), signal.SIGKILL)',
      '                killed = int(pid)',
      '        time.sleep(0.05)',
      'print("killed", killed)'
    ].join('\n');
    writeNotebook(
      dir,
      'kill.ipynb',
      notebook('python3', [code('x = 0', ['parameters']), code(killer)])
    );
    const r = nbx(['run', 'kill.ipynb', 'x=[0,1]'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    const [first, second] = trialsOf(home);
    const out = (t: RunMeta): string =>
      fs.readFileSync(path.join(home, 'runs', t.id, 'output.log'), 'utf8');
    assert.match(out(first), /^killed \d+$/m);
    assert.equal(second.status, 'completed');
    assert.equal(second.kernelWarm, false, 'the dead warm kernel was not used');
    assert.match(out(second), /^killed None$/m);
  });

  for (const how of ['nbx stop', 'SIGKILL of the runner'] as const) {
    it(`${how} leaves no warm kernel behind (within 5 s)`, async () => {
      const { dir, home, env } = cliProject();
      writeNotebook(
        dir,
        'sleep.ipynb',
        notebook('python3', [
          code('x = 0', ['parameters']),
          code('import time\nprint("started", flush=True)\ntime.sleep(600)')
        ])
      );
      const r = nbx(['run', 'sleep.ipynb', 'x=[0,1,2]', '--detach'], { cwd: dir, env });
      assert.equal(r.status, 0, r.stderr);
      const warmPid = await waitFor(
        () => {
          const trials = trialsOf(home);
          if (trials[0].status !== 'running' || trials[0].kernelPid === null) {
            return undefined;
          }
          return kernelOf(trials[1].id);
        },
        60_000,
        'the first trial to run and the second one’s kernel to start'
      );
      const batch = runIds(home)
        .map(id => readMeta(home, id))
        .find(m => m.kind === 'batch') as RunMeta;
      const running = trialsOf(home)[0];
      if (how === 'nbx stop') {
        const stop = nbx(['stop', batch.id], { cwd: dir, env });
        assert.equal(stop.status, 0, stop.stderr);
      } else {
        process.kill(batch.pid as number, 'SIGKILL');
      }
      const t0 = Date.now();
      await waitFor(
        () => (pidAlive(warmPid) || pidAlive(running.kernelPid as number) ? undefined : true),
        5000,
        'the warm kernel and the running trial’s kernel to die'
      );
      assert.ok(Date.now() - t0 <= 5000);
    });
  }
});

/** The pid of the ipykernel started for run `id` (its NBX_RUN_ID), if any. */
function kernelOf(id: string): number | undefined {
  for (const name of fs.readdirSync('/proc').filter(n => /^\d+$/.test(n))) {
    const pid = Number(name);
    let environ: string;
    try {
      environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue;
    }
    if (
      environ.split('\0').includes(`NBX_RUN_ID=${id}`) &&
      processArgv(pid).some(a => a.includes('ipykernel'))
    ) {
      return pid;
    }
  }
  return undefined;
}
