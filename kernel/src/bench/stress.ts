/**
 * `npm run bench -- flood` and `npm run bench -- cells`: notebooks that stress the engine,
 * through `nbx run` and through `jupyter nbconvert --to notebook --execute`, interleaved in
 * the same benchmark run. Each command is measured as a whole process tree (see proc-tree):
 * wall time, peak RSS (the tree's resident sizes summed) and bytes written to storage.
 *
 * - flood: one Python cell printing 300,000 lines (about 15 MB). Targets: nbx's wall time
 *   ≤ 1.0× nbconvert's, its peak RSS ≤ 1.5× nbconvert's.
 * - cells: 1,000 small cells (Python; `--kernel tslab` for TypeScript). Target: nbx's wall
 *   time ≤ 1.0× nbconvert's.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { INotebook } from '../notebook/nbformat';
import { code, notebook } from '../testing/fixtures';
import { intOption, median, VENV_BIN } from './measure';
import { NBX_CLI } from '../base/paths';
import { measureTree, type ITreeCost } from './proc-tree';

const FLOOD_LINES = 300_000;
const CELLS = 1000;

function floodNotebook(): INotebook {
  return notebook('python3', [
    code('x = 1'),
    code(
      `for i in range(${FLOOD_LINES}):\n` +
        "    print(f'line {i} of the flood, some padding text here')"
    ),
    code("print('after')")
  ]);
}

function cellsNotebook(kernel: 'python3' | 'tslab'): INotebook {
  const source = (i: number): string =>
    kernel === 'tslab' ? `const x${i} = ${i};\nconsole.log(x${i});` : `x${i} = ${i}\nprint(x${i})`;
  return notebook(
    kernel,
    Array.from({ length: CELLS }, (_, i) => code(source(i)))
  );
}

interface ISide {
  name: string;
  costs: ITreeCost[];
  /** Size of the executed notebook the command wrote. */
  notebookBytes: number;
}

/** Runs `nb` through nbx and nbconvert `runs` times each, interleaved; prints the medians. */
async function sideBySide(title: string, nb: INotebook, runs: number): Promise<ISide[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-bench-stress-'));
  const home = path.join(dir, 'home');
  const env: NodeJS.ProcessEnv = { ...process.env, NBX_HOME: home };
  delete env.NBX_RUN_ID;
  // Each in a directory of its own: nbx copies the files beside a notebook into its run.
  const project = path.join(dir, 'project');
  const outDir = path.join(dir, 'nbconvert');
  fs.mkdirSync(project);
  fs.mkdirSync(outDir);
  const file = path.join(project, 'stress.ipynb');
  fs.writeFileSync(file, JSON.stringify(nb));
  const nbxSide: ISide = { name: 'nbx run', costs: [], notebookBytes: 0 };
  const convSide: ISide = { name: 'nbconvert', costs: [], notebookBytes: 0 };
  process.stdout.write(`${title}: ${runs} runs of each, interleaved\n`);
  try {
    for (let i = 0; i < runs; i++) {
      nbxSide.costs.push(
        await measureTree([process.execPath, NBX_CLI, 'run', file, '--quiet'], { env })
      );
      const runDir = fs.readdirSync(path.join(home, 'runs')).map(id => path.join(home, 'runs', id));
      const latest = runDir.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
      nbxSide.notebookBytes = fs.statSync(path.join(latest, 'executed.ipynb')).size;
      fs.rmSync(path.join(home, 'runs'), { recursive: true, force: true });
      convSide.costs.push(
        await measureTree(
          [
            path.join(VENV_BIN, 'jupyter'),
            'nbconvert',
            '--to',
            'notebook',
            '--execute',
            '--output-dir',
            outDir,
            file
          ],
          { env, cwd: project }
        )
      );
      convSide.notebookBytes = fs.statSync(path.join(outDir, 'stress.ipynb')).size;
      process.stdout.write(`  round ${i + 1}/${runs} done\n`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const sides = [nbxSide, convSide];
  process.stdout.write(
    `\n${''.padEnd(14)} ${'wall'.padStart(9)} ${'peak RSS'.padStart(10)} ` +
      `${'written'.padStart(10)} ${'notebook'.padStart(10)}\n`
  );
  for (const side of sides) {
    process.stdout.write(
      `${side.name.padEnd(14)} ${seconds(wall(side)).padStart(9)} ` +
        `${megabytes(rss(side)).padStart(10)} ${megabytes(written(side)).padStart(10)} ` +
        `${megabytes(side.notebookBytes).padStart(10)}\n`
    );
  }
  process.stdout.write(
    `${'nbx/nbconvert'.padEnd(14)} ${ratio(wall(nbxSide), wall(convSide)).padStart(9)} ` +
      `${ratio(rss(nbxSide), rss(convSide)).padStart(10)} ` +
      `${ratio(written(nbxSide), written(convSide)).padStart(10)}\n`
  );
  return sides;
}

const wall = (side: ISide): number => median(side.costs.map(c => c.wallMs));
const rss = (side: ISide): number => median(side.costs.map(c => c.peakRss));
const written = (side: ISide): number => median(side.costs.map(c => c.writeBytes));
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const megabytes = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

function target(what: string, value: number, limit: number): boolean {
  const met = value <= limit;
  process.stdout.write(`  target ${what} <= ${limit}x: ${met ? 'met' : 'MISSED'}\n`);
  return met;
}

export async function benchFlood(args: string[]): Promise<boolean> {
  const runs = intOption(args, '--runs', 3);
  const [nbx, conv] = await sideBySide(
    `flood: ${FLOOD_LINES.toLocaleString('en')} lines from one Python cell`,
    floodNotebook(),
    runs
  );
  const wallOk = target('nbx/nbconvert wall', wall(nbx) / wall(conv), 1.0);
  const rssOk = target('nbx/nbconvert peak RSS', rss(nbx) / rss(conv), 1.5);
  return wallOk && rssOk;
}

export async function benchCells(args: string[]): Promise<boolean> {
  const runs = intOption(args, '--runs', 3);
  const i = args.indexOf('--kernel');
  const kernel = i >= 0 ? args[i + 1] : 'python3';
  if (kernel !== 'python3' && kernel !== 'tslab') {
    throw new Error('--kernel takes python3 or tslab');
  }
  const [nbx, conv] = await sideBySide(
    `cells: ${CELLS.toLocaleString('en')} small ${kernel} cells`,
    cellsNotebook(kernel),
    runs
  );
  return target('nbx/nbconvert wall', wall(nbx) / wall(conv), 1.0);
}
