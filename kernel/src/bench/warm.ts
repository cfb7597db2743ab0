/**
 * `npm run bench -- warm [--runs N] [--trials N]`: the kernel start, side by side in one run,
 * against `jupyter nbconvert --execute` from a plain venv (nbconvert and ipykernel only,
 * created once in the per-user cache; the project's venv also holds JupyterLab, whose entry
 * points make nbconvert about 2× slower to start) running tslab as `tslab install` sets it up.
 *
 * 1. A trivial tslab notebook, interleaved rounds: nbconvert (the anchor), `nbx run` with the
 *    kernelspec nbx installs (tslab started from its startup snapshot, behind the code cache),
 *    the same with `NBX_TSLAB_SNAPSHOT=0` (the code cache only), and `nbx run` with tslab's
 *    own command line (neither). Target: nbx ≤ 0.5× nbconvert. The snapshot is built by the
 *    first run (in the background) and waited for before the rounds.
 * 2. A 20-trial tslab sweep, `--parallel 2` with warm kernels, against the same trials run
 *    one after another cold by the anchor (each trial's notebook with its value written in
 *    its parameters cell, as nbconvert cannot set one, then `jupyter nbconvert --execute`).
 *    Target: ≤ 0.35× the anchor's time. For information: the same sweep with
 *    `NBX_WARM_KERNELS=0`; the trials run one after another by nbx itself (`nbx run NB
 *    x=<i>`, each a fresh CLI process), with the least ratio to it the machine's CPUs allow:
 *    the sweep cannot take less than its processes' CPU time shared among the CPUs.
 * 3. Launch → first cell executing on a warm kernel: a sweep of 4 trials one at a time, each
 *    cell busy for 4 s (time enough for the next kernel to be ready, as a warm kernel waiting
 *    for a click is), from its records: a trial's `started` (its runner takes it from the
 *    queue) to its first cell's `iopub.status.busy` (the kernel says it began executing),
 *    median over the trials on a warm kernel; over the 20-trial sweep's trials for
 *    information (there the next kernel is often still starting when it is taken). Target:
 *    ≤ 300 ms. This is the launch level: the service's Run button adds the request and a
 *    detached runner's start before `started`.
 * 4. Click → first cell executing through the service: `startRun` as JupyterLab sends it
 *    (the service's method with its standby kernel) until the first cell's
 *    `iopub.status.busy`, with a standby kernel ready (its runner waiting) versus with it off
 *    (cold), interleaved, medians; with the standby, when `startRun` answered and when the
 *    runner recorded `started`. Target: ≤ 300 ms with the standby. `--standby-only` runs this
 *    part alone.
 *
 * Also the kernel start alone (`KernelManager.start` until ready), in the same three ways:
 * its wall time and the CPU time of the kernel's processes (the launcher and the kernel it
 * relays to), which shared machines blur less. `--start-only` runs 1 and this alone.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readNotebook } from '../notebook/io';
import { procStatFields } from '../base/proc-stat';
import { tslabPackage } from '../cli/jupyter-install';
import { getKernelSpec } from '../protocol/kernelspec';
import { KernelManager } from '../protocol/manager';
import { snapshotPlan, tslabCacheDir } from '../protocol/tslab-snapshot';
import type { RunMeta } from '../store/meta';
import { listRuns } from '../store/runs';
import { createContext } from '../service/context';
import { startRunMethod } from '../service/methods-start';
import { ServiceStandby } from '../service/standby';
import { code, notebook } from '../testing/fixtures';
import { intOption, median, ms, timeCommand } from './measure';
import { NBX_CLI, PACKAGE_ROOT } from '../base/paths';

const TARGET_START_RATIO = 0.5;
const TARGET_SWEEP_RATIO = 0.35;
const TARGET_FIRST_CELL_MS = 300;

const TRIVIAL = notebook('tslab', [code('const x: number = 41;'), code('console.log(x + 1);')]);
/** The sweep's notebook, its parameters cell setting `x` to `value`. */
const sweepNotebook = (value: number): ReturnType<typeof notebook> =>
  notebook('tslab', [code(`const x = ${value};`, ['parameters']), code('console.log(x);')]);
const BUSY_NB = notebook('tslab', [
  code('const x = 0;', ['parameters']),
  code('await new Promise(resolve => setTimeout(resolve, 4000));')
]);

/** Wall and kernel CPU time (ms) of starting the `tslab` kernelspec found with `env` until ready. */
async function kernelStart(env: NodeJS.ProcessEnv, cwd: string): Promise<[number, number]> {
  const spec = getKernelSpec('tslab', { env, cwd });
  const t0 = process.hrtime.bigint();
  const km = await KernelManager.start({ spec, cwd, env });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = treeCpuMs(km.process.pid);
  await km.shutdown();
  return [wall, cpu];
}

/** CPU time (ms) of `pid` and its live descendants, from /proc. */
function treeCpuMs(pid: number): number {
  const procs = fs
    .readdirSync('/proc')
    .filter(name => /^\d+$/.test(name))
    .map(name => {
      try {
        return procStatFields(fs.readFileSync(`/proc/${name}/stat`, 'utf8'));
      } catch {
        return null; // gone
      }
    })
    .filter((f): f is NonNullable<typeof f> => f !== null);
  let total = 0;
  const tree = new Set([String(pid)]);
  for (let grown = true; grown;) {
    grown = false;
    for (const f of procs) {
      if (!tree.has(f(1) ?? '') && tree.has(f(4) ?? '')) {
        tree.add(f(1) ?? '');
        grown = true;
      }
    }
  }
  for (const f of procs) {
    if (tree.has(f(1) ?? '')) {
      // utime and stime, in clock ticks (100 a second on Linux).
      total += (Number(f(14)) + Number(f(15))) * 10;
    }
  }
  return total;
}

/** CPU time (ms) of this process's children that have ended and been waited for, from /proc. */
function childrenCpuMs(): number {
  const f = procStatFields(fs.readFileSync('/proc/self/stat', 'utf8'));
  // cutime and cstime, in clock ticks (100 a second on Linux); they include descendants
  // that their own parents waited for, as a sweep's kernels are.
  return f === null ? NaN : (Number(f(16)) + Number(f(17))) * 10;
}

/** Waits until the startup snapshot of the installed tslab exists (built in the background). */
async function snapshotBuilt(env: NodeJS.ProcessEnv): Promise<void> {
  const { dir } = tslabPackage();
  const { blob } = snapshotPlan(dir, tslabCacheDir(dir, env), env);
  const deadline = Date.now() + 600_000;
  while (!fs.existsSync(blob)) {
    if (Date.now() > deadline) {
      throw new Error(`tslab's startup snapshot was not built: ${blob}`);
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
}

/** A venv with nbconvert and ipykernel only, made once under the per-user cache. */
function anchorVenv(): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const venv = path.join(cache, 'nbx', 'bench', 'nbconvert-venv');
  const jupyter = path.join(venv, 'bin', 'jupyter');
  if (fs.existsSync(path.join(venv, '.complete'))) {
    return jupyter;
  }
  process.stdout.write(`  creating the anchor venv (nbconvert, ipykernel) in ${venv}\n`);
  const run = (argv: string[]): void => {
    const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) {
      throw new Error(`${argv.join(' ')} failed`);
    }
  };
  run(['python3', '-m', 'venv', '--clear', venv]);
  run([path.join(venv, 'bin', 'python'), '-m', 'pip', 'install', '-q', 'nbconvert', 'ipykernel']);
  fs.writeFileSync(path.join(venv, '.complete'), '');
  return jupyter;
}

/** A Jupyter data dir holding a `tslab` kernelspec running `program` as tslab's installer does. */
function tslabSpecDir(dir: string, program: string): string {
  const spec = path.join(dir, 'kernels', 'tslab');
  fs.mkdirSync(spec, { recursive: true });
  fs.writeFileSync(
    path.join(spec, 'kernel.json'),
    JSON.stringify({
      argv: [program, 'kernel', '--config-path', '{connection_file}'],
      display_name: 'TypeScript',
      language: 'typescript'
    })
  );
  return dir;
}

/** Start of a trial's first cell (ms since the epoch), from its executed notebook. */
function firstCellBusy(home: string, meta: RunMeta): number | null {
  try {
    const nb = readNotebook(path.join(home, 'runs', meta.id, 'executed.ipynb'));
    for (const cell of nb.cells) {
      const execution = (cell.metadata as { execution?: Record<string, string> }).execution;
      if (cell.cell_type === 'code' && execution?.['iopub.status.busy']) {
        return Date.parse(execution['iopub.status.busy']);
      }
    }
  } catch {
    // no executed notebook: left out
  }
  return null;
}

function sweepTrials(home: string): RunMeta[] {
  const runs = listRuns(home);
  const batch = runs
    .filter(r => r.kind === 'batch')
    .sort((a, b) => (a.created < b.created ? 1 : -1))[0];
  if (batch === undefined) {
    throw new Error('no batch recorded');
  }
  const trials = runs.filter(r => r.parent === batch.id);
  const failed = trials.filter(r => r.status !== 'completed');
  if (failed.length > 0) {
    throw new Error(`${failed.length} trials did not complete: ${failed[0].error ?? ''}`);
  }
  return trials;
}

/**
 * Click → first cell executing through the service's `startRun`, `rounds` times each with a
 * standby kernel ready and with it off: [standby, cold] times in ms.
 */
async function serviceClicks(
  dir: string,
  home: string,
  env: NodeJS.ProcessEnv,
  rounds: number
): Promise<[number[], number[], { reply: number[]; started: number[] }]> {
  const nbPath = path.join(dir, 'click.ipynb');
  fs.writeFileSync(nbPath, JSON.stringify(TRIVIAL));
  const standby = new ServiceStandby();
  const context = createContext({ cwd: dir, env, log: () => undefined, standby });
  const click = async (on: boolean, warm = on): Promise<number> => {
    const t0 = Date.now();
    const reply = await startRunMethod({ path: nbPath, standby: on }, context);
    const replied = Date.now() - t0;
    const id = (reply.json as { id: string }).id;
    const meta = await waitForEnd(home, id);
    const busy = firstCellBusy(home, meta);
    if (meta.status !== 'completed' || busy === null || meta.kernelWarm !== warm) {
      throw new Error(`run ${id}: ${meta.status}, kernelWarm ${String(meta.kernelWarm)}`);
    }
    if (on && warm) {
      steps.reply.push(replied);
      steps.started.push(Date.parse(meta.started as string) - t0);
    }
    return busy - t0;
  };
  const steps = { reply: [] as number[], started: [] as number[] };
  const warm: number[] = [];
  const cold: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      cold.push(await click(false));
      await click(true, false); // no standby held: this one starts cold and leaves one
      await (await standby.get()).ready();
      warm.push(await click(true));
      process.stdout.write(`  service round ${i + 1}/${rounds} done\n`);
    }
  } finally {
    await standby.close();
  }
  return [warm, cold, steps];
}

/** The record of run `id` once it has ended. */
async function waitForEnd(home: string, id: string): Promise<RunMeta> {
  for (;;) {
    const meta = listRuns(home).find(m => m.id === id);
    if (meta && ['completed', 'error', 'terminated'].includes(meta.status)) {
      return meta;
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

export async function benchWarm(args: string[]): Promise<boolean> {
  const runs = intOption(args, '--runs', 5);
  const trials = intOption(args, '--trials', 20);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-bench-warm-'));
  const home = path.join(dir, 'home');
  const env: NodeJS.ProcessEnv = { ...process.env, NBX_HOME: home };
  delete env.NBX_RUN_ID;
  delete env.NBX_RUN_DIR;
  const row = (label: string, value: string, note = ''): string =>
    `  ${label.padEnd(34)}${value.padStart(10)}${note ? `   ${note}` : ''}\n`;
  try {
    process.stdout.write(`warm: kernel starts and warm kernels (${os.cpus().length} CPUs)\n`);
    const startOnly = args.includes('--start-only');
    const serviceRuns = args.includes('--standby-only') ? runs : startOnly ? 0 : Math.min(runs, 3);
    const [standbyClicks, coldClicks, steps] = startOnly
      ? [[], [], { reply: [], started: [] }]
      : await serviceClicks(dir, home, env, serviceRuns);
    const click = median(standbyClicks);
    const clickOk = click <= TARGET_FIRST_CELL_MS;
    const clickRows =
      `\nclick -> first cell executing, through the service's startRun, median of ${serviceRuns}:\n` +
      row(
        'standby kernel ready',
        ms(click),
        `target <= ${TARGET_FIRST_CELL_MS} ms: ${clickOk ? 'met' : 'MISSED'}`
      ) +
      row(
        '  of which: startRun answered',
        ms(median(steps.reply)),
        `runner started: ${ms(median(steps.started))}`
      ) +
      row('standby off (cold)', ms(median(coldClicks)));
    if (args.includes('--standby-only')) {
      process.stdout.write(clickRows);
      return clickOk;
    }
    const jupyter = anchorVenv();
    const nbPath = path.join(dir, 'trivial.ipynb');
    fs.writeFileSync(nbPath, JSON.stringify(TRIVIAL));
    const tslabBin = path.join(PACKAGE_ROOT, 'node_modules', '.bin', 'tslab');
    // tslab as its own installer sets it up, first in the kernelspec search.
    const plainEnv = { ...env, JUPYTER_PATH: tslabSpecDir(path.join(dir, 'plain'), tslabBin) };
    // The three ways, in this order in every round: snapshot, code cache only, neither.
    const ways = [env, { ...env, NBX_TSLAB_SNAPSHOT: '0' }, plainEnv];
    const t = { nbconvert: [] as number[], ways: ways.map(() => [] as number[]) };
    const k = ways.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
    const nbxRun = [process.execPath, NBX_CLI, 'run', nbPath, '-q'];
    await timeCommand(nbxRun, { env, cwd: dir }); // the code cache exists from here on
    await snapshotBuilt(env);
    for (let i = 0; i < runs; i++) {
      t.nbconvert.push(
        await timeCommand(
          [jupyter, 'nbconvert', '--to', 'notebook', '--execute', '--output-dir', dir, nbPath],
          { env: plainEnv, cwd: dir }
        )
      );
      for (const [w, wayEnv] of ways.entries()) {
        t.ways[w].push(await timeCommand(nbxRun, { env: wayEnv, cwd: dir }));
      }
      for (const [w, wayEnv] of ways.entries()) {
        const [wall, cpu] = await kernelStart(wayEnv, dir);
        k[w].wall.push(wall);
        k[w].cpu.push(cpu);
      }
      process.stdout.write(`  start round ${i + 1}/${runs} done\n`);
    }
    const conv = median(t.nbconvert);
    const [snapshot, cached, uncached] = t.ways.map(median);
    const startRatio = snapshot / conv;
    const startOk = startRatio <= TARGET_START_RATIO;
    const startRows =
      `\ntrivial tslab notebook, median of ${runs}:\n` +
      row('nbconvert --execute (plain venv)', ms(conv)) +
      row("nbx run, tslab's own command line", ms(uncached), `${(uncached / conv).toFixed(2)}x`) +
      row('nbx run, code cache only', ms(cached), `${(cached / conv).toFixed(2)}x`) +
      row(
        'nbx run, startup snapshot',
        ms(snapshot),
        `${startRatio.toFixed(2)}x; target <= ${TARGET_START_RATIO}x: ${startOk ? 'met' : 'MISSED'}`
      ) +
      `\ntslab kernel start until ready, median of ${runs} (wall / CPU of its processes):\n` +
      ["tslab's own command line", 'code cache only', 'startup snapshot']
        .map((label, i) => row(label, ms(median(k[2 - i].wall)), `CPU ${ms(median(k[2 - i].cpu))}`))
        .join('');
    if (startOnly) {
      process.stdout.write(startRows);
      return startOk;
    }

    const sweepNb = path.join(dir, 'sweep.ipynb');
    fs.writeFileSync(sweepNb, JSON.stringify(sweepNotebook(0)));
    const values = Array.from({ length: trials }, (_, i) => i);
    const sweep = [process.execPath, NBX_CLI, 'run', sweepNb, `x=[${values.join(',')}]`];
    const sweepArgs = [...sweep, '--parallel', '2', '-q'];
    const cpuBefore = childrenCpuMs();
    const warmWall = await timeCommand(sweepArgs, { env, cwd: dir });
    const warmCpu = childrenCpuMs() - cpuBefore;
    const warmTrials = sweepTrials(home);
    process.stdout.write(`  sweep with warm kernels done: ${ms(warmWall)}\n`);
    const coldSweepWall = await timeCommand(sweepArgs, {
      env: { ...env, NBX_WARM_KERNELS: '0' },
      cwd: dir
    });
    process.stdout.write(`  sweep without warm kernels done: ${ms(coldSweepWall)}\n`);
    const seqStart = process.hrtime.bigint();
    for (const i of values) {
      await timeCommand([process.execPath, NBX_CLI, 'run', sweepNb, `x=${i}`, '-q'], {
        env,
        cwd: dir
      });
    }
    const seqWall = Number(process.hrtime.bigint() - seqStart) / 1e6;
    process.stdout.write(`  ${trials} runs one by one done: ${ms(seqWall)}\n`);
    const anchorDir = path.join(dir, 'anchor');
    fs.mkdirSync(anchorDir);
    let anchorWall = 0;
    for (const i of values) {
      const trialNb = path.join(anchorDir, `trial-${i}.ipynb`);
      fs.writeFileSync(trialNb, JSON.stringify(sweepNotebook(i)));
      anchorWall += await timeCommand(
        [jupyter, 'nbconvert', '--to', 'notebook', '--execute', '--output-dir', anchorDir, trialNb],
        { env: plainEnv, cwd: anchorDir }
      );
    }
    process.stdout.write(`  ${trials} nbconvert runs one by one done: ${ms(anchorWall)}\n`);

    const busyNb = path.join(dir, 'busy.ipynb');
    fs.writeFileSync(busyNb, JSON.stringify(BUSY_NB));
    await timeCommand([process.execPath, NBX_CLI, 'run', busyNb, 'x=[0,1,2,3]', '-q'], {
      env,
      cwd: dir
    });
    const busyTrials = sweepTrials(home);
    process.stdout.write('  4-trial sweep, one at a time, 4 s a trial, done\n');

    const toFirstCell = (of: RunMeta[], warm: boolean): number[] =>
      of
        .filter(m => (m.kernelWarm === true) === warm && m.started !== null)
        .map(m => {
          const busy = firstCellBusy(home, m);
          return busy === null ? NaN : busy - Date.parse(m.started as string);
        })
        .filter(Number.isFinite);
    const warmFirst = toFirstCell(busyTrials, true);
    const coldFirst = toFirstCell(busyTrials, false);
    const sweepWarmFirst = toFirstCell(warmTrials, true);

    const sweepRatio = warmWall / anchorWall;
    const cpus = os.cpus().length;
    const firstCell = warmFirst.length ? median(warmFirst) : NaN;
    const sweepOk = sweepRatio <= TARGET_SWEEP_RATIO;
    const firstOk = firstCell <= TARGET_FIRST_CELL_MS;
    process.stdout.write(
      startRows +
        `\n${trials}-trial tslab sweep:\n` +
        row('--parallel 2, warm kernels', ms(warmWall), `CPU ${ms(warmCpu)}`) +
        row('--parallel 2, NBX_WARM_KERNELS=0', ms(coldSweepWall)) +
        row(`${trials}× nbconvert one by one (cold)`, ms(anchorWall)) +
        row(`${trials}× nbx run one by one (cold)`, ms(seqWall)) +
        row(
          'warm sweep / nbconvert one by one',
          `${sweepRatio.toFixed(2)}x`,
          `target <= ${TARGET_SWEEP_RATIO}x: ${sweepOk ? 'met' : 'MISSED'}`
        ) +
        row(
          'warm sweep / nbx one by one',
          `${(warmWall / seqWall).toFixed(2)}x`,
          `least on ${cpus} CPUs: ${(warmCpu / cpus / seqWall).toFixed(2)}x (sweep CPU / ${cpus})`
        ) +
        row('cold sweep / nbx one by one', `${(coldSweepWall / seqWall).toFixed(2)}x`) +
        row('trials on a warm kernel', `${sweepWarmFirst.length}/${warmTrials.length}`) +
        '\nlaunch -> first cell executing (trial started -> iopub busy of its first cell):\n' +
        row(
          'warm kernel (4 s trials), median',
          Number.isFinite(firstCell) ? ms(firstCell) : 'n/a',
          `of ${warmFirst.length}; target <= ${TARGET_FIRST_CELL_MS} ms: ${firstOk ? 'met' : 'MISSED'}`
        ) +
        row('cold kernel (4 s trials), median', coldFirst.length ? ms(median(coldFirst)) : 'n/a') +
        row(
          'warm kernel (20-trial sweep), median',
          sweepWarmFirst.length ? ms(median(sweepWarmFirst)) : 'n/a'
        ) +
        clickRows
    );
    return startOk && sweepOk && firstOk && clickOk;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
