/**
 * The browser half of a benchmark: one Galata spec of ui-tests/ (skipped unless
 * NBX_BENCH=1) run by Playwright against a real JupyterLab whose root is the benchmark's
 * project directory (JUPYTERLAB_GALATA_ROOT_DIR), in Chromium. The spec writes its
 * figures as JSON to NBX_BENCH_OUT; this reads them back. Used by `lab` and `panels`.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PACKAGE_ROOT } from '../base/paths';

/** What `runBrowserBench` runs. */
export interface IBrowserBench {
  /** The benchmark's name, for messages (`lab`, `panels`). */
  name: string;
  /** The spec, relative to ui-tests/ (`tests/bench-lab.spec.ts`). */
  spec: string;
  /** The project directory: JupyterLab's root, where the result file goes too. */
  project: string;
  /** The port of the JupyterLab Playwright starts. */
  port: number;
  /** Rounds the spec measures (NBX_BENCH_ROUNDS). */
  rounds: number;
  /** Longest the whole browser half may take, in seconds (then it is killed). */
  limitS: number;
  /** More environment for the spec. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs the spec; resolves with the JSON it wrote, or null after printing why (something
 * to set up missing, or the spec failed: the end of its output is shown).
 */
export async function runBrowserBench<T>(bench: IBrowserBench): Promise<T | null> {
  const uiTests = path.join(PACKAGE_ROOT, 'ui-tests');
  const playwright = path.join(PACKAGE_ROOT, 'node_modules', '.bin', 'playwright');
  const missing = [
    [playwright, 'npm install'],
    [path.join(PACKAGE_ROOT, 'labextension', 'package.json'), 'npm run build'],
    [path.join(PACKAGE_ROOT, '.venv', 'bin', 'jupyter'), 'npm run setup'],
    [process.env.NBX_CHROMIUM || '/usr/bin/chromium', 'bash scripts/setup.sh --ui-tests']
  ].find(([file]) => !fs.existsSync(file));
  if (missing) {
    process.stdout.write(
      `${bench.name}: no browser half: ${missing[0]} is missing (run ${missing[1]})\n`
    );
    return null;
  }
  const out = path.join(bench.project, `bench-${bench.name}.json`);
  const outputDir = path.join(bench.project, 'playwright');
  const child = spawn(playwright, ['test', bench.spec, '--reporter=list', '--output', outputDir], {
    cwd: uiTests,
    env: {
      ...process.env,
      ...bench.env,
      NBX_BENCH: '1',
      NBX_BENCH_OUT: out,
      NBX_BENCH_ROUNDS: String(bench.rounds),
      NBX_UI_TEST_PORT: String(bench.port),
      JUPYTERLAB_GALATA_ROOT_DIR: bench.project
    },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let log = '';
  child.stdout.on('data', d => (log += String(d)));
  child.stderr.on('data', d => (log += String(d)));
  // A browser half that hangs must not hang the benchmark.
  const limit = setTimeout(() => child.kill('SIGKILL'), bench.limitS * 1000);
  const code = await new Promise<number | null>(resolve => child.on('close', resolve));
  clearTimeout(limit);
  if (code !== 0 || !fs.existsSync(out)) {
    const tail = log
      .split('\n')
      .filter(line => !line.startsWith('[WebServer]'))
      .slice(-30)
      .join('\n');
    process.stdout.write(
      `${bench.name}: the browser half failed (playwright exit ${code}):\n${tail}\n`
    );
    return null;
  }
  return JSON.parse(fs.readFileSync(out, 'utf8')) as T;
}
