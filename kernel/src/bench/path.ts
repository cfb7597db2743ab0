/**
 * `npm run bench -- path`: `nbx` as a person types it, after the README's setup and
 * `source .venv/bin/activate`: the command `nbx` found on the PATH (`.venv/bin/nbx`, the
 * link the setup makes), over 10,000 generated runs with the index cache warm, side by
 * side with a bare `node -e 0`, every measurement a fresh process:
 *
 *   node -e 0        process start, the floor (also without NODE_EXTRA_CA_CERTS when it
 *                    is set: Node 20 parses those certificates at every start, and the
 *                    `nbx` launcher starts the CLI without them)
 *   nbx --version    the CLI's own start
 *   nbx runs         the README's listing: the latest 20 of 10,000 runs (its default;
 *                    every run is still checked against the index)   target ≤ 200 ms
 *
 * Options: `--runs N` rounds (default 10, interleaved, medians), `--count N` runs
 * (default 10,000), `--bin DIR` the directory put first on the PATH (default .venv/bin).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateRuns } from './gen-runs';
import { intOption, median, ms, stringOption, timeCommand, VENV_BIN } from './measure';

const TARGET_RUNS_MS = 200;

/** Runs the PATH benchmark; true when `nbx runs` meets its target. */
export async function benchPath(args: string[]): Promise<boolean> {
  const rounds = intOption(args, '--runs', 10);
  const count = intOption(args, '--count', 10_000);
  const bin = path.resolve(stringOption(args, '--bin') ?? VENV_BIN);
  const nbx = path.join(bin, 'nbx');
  if (!fs.existsSync(nbx)) {
    process.stderr.write(`bench path: ${nbx} is missing; run \`npm run setup\` first\n`);
    return false;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-bench-path-'));
  const root = path.join(dir, 'home');
  // What `source .venv/bin/activate` does to the environment.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NBX_HOME: root,
    VIRTUAL_ENV: path.dirname(bin),
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`
  };
  const times = {
    node: [] as number[],
    bareNode: [] as number[],
    version: [] as number[],
    runs: [] as number[]
  };
  const extraCerts = Boolean(env.NODE_EXTRA_CA_CERTS);
  const bareEnv = { ...env, NODE_EXTRA_CA_CERTS: undefined };
  let lines = 0;
  try {
    generateRuns(root, { count });
    // Warms the index cache, and checks that the command lists runs.
    lines = await countLines(['nbx', 'runs'], env);
    process.stdout.write(
      `path: \`nbx\` = ${fs.realpathSync(nbx)} via PATH; ${count} generated runs, ` +
        `\`nbx runs\` prints ${lines} lines; ${rounds} rounds, interleaved\n`
    );
    for (let i = 0; i < rounds; i++) {
      times.node.push(await timeCommand([process.execPath, '-e', '0'], { env }));
      if (extraCerts) {
        times.bareNode.push(await timeCommand([process.execPath, '-e', '0'], { env: bareEnv }));
      }
      times.version.push(await timeCommand(['nbx', '--version'], { env }));
      times.runs.push(await timeCommand(['nbx', 'runs'], { env }));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const runs = median(times.runs);
  const ok = runs <= TARGET_RUNS_MS && lines >= Math.min(count, 20);
  const line = (label: string, value: number, extra = ''): string =>
    `  ${label.padEnd(40)} ${ms(value).padStart(7)}${extra ? `  ${extra}` : ''}\n`;
  process.stdout.write('\nmedians (each a fresh process):\n');
  process.stdout.write(line('node -e 0 (process start)', median(times.node)));
  if (extraCerts) {
    process.stdout.write(line('node -e 0 without NODE_EXTRA_CA_CERTS', median(times.bareNode)));
  }
  process.stdout.write(line('nbx --version', median(times.version)));
  process.stdout.write(
    line(
      `nbx runs (${count} runs, warm)`,
      runs,
      `${(runs / median(times.node)).toFixed(1)}x node -e 0; target <= ${TARGET_RUNS_MS} ms: ${ok ? 'met' : 'MISSED'}`
    )
  );
  return ok;
}

/** Runs a command and counts the lines it prints. */
function countLines(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(argv[0], argv.slice(1), { env, maxBuffer: 1 << 28 }, (err, stdout) => {
      if (err) {
        reject(err);
      } else {
        resolve(stdout.split('\n').filter(l => l.length > 0).length);
      }
    });
  });
}
