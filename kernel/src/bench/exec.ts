/**
 * `npm run bench -- exec`: the same trivial notebooks through `nbx run`,
 * `jupyter nbconvert --to notebook --execute`, and a bare kernel start +
 * execute, interleaved, for a TypeScript (tslab) and a Python (ipykernel)
 * notebook. Targets: nbx ≤ 0.5× nbconvert on tslab, and ≤ 250 ms above bare.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { code, notebook } from '../testing/fixtures';
import { intOption, median, ms, timeCommand, VENV_BIN } from './measure';
import { NBX_CLI } from '../base/paths';

const NOTEBOOKS = {
  tslab: notebook('tslab', [code('const x: number = 41;'), code('console.log(x + 1);')]),
  python3: notebook('python3', [code('x = 41'), code('print(x + 1)')])
};

const TARGET_RATIO_TSLAB = 0.5;
const TARGET_OVERHEAD_MS = 250;

export async function benchExec(args: string[]): Promise<boolean> {
  const runs = intOption(args, '--runs', 5);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-bench-exec-'));
  const env = { ...process.env, NBX_HOME: path.join(dir, 'home') };
  const bare = path.join(__dirname, 'bare-exec.js');
  const jupyter = path.join(VENV_BIN, 'jupyter');
  const times: Record<string, Record<string, number[]>> = {};
  try {
    for (const [kernel, nb] of Object.entries(NOTEBOOKS)) {
      fs.writeFileSync(path.join(dir, `${kernel}.ipynb`), JSON.stringify(nb));
      times[kernel] = { nbx: [], nbconvert: [], bare: [] };
    }
    process.stdout.write(`exec: ${runs} runs of each, interleaved\n`);
    for (let i = 0; i < runs; i++) {
      for (const kernel of Object.keys(NOTEBOOKS)) {
        const nbPath = path.join(dir, `${kernel}.ipynb`);
        const t = times[kernel];
        t.nbx.push(await timeCommand([process.execPath, NBX_CLI, 'run', nbPath, '-q'], { env }));
        t.nbconvert.push(
          await timeCommand(
            [jupyter, 'nbconvert', '--to', 'notebook', '--execute', '--output-dir', dir, nbPath],
            { env, cwd: dir }
          )
        );
        t.bare.push(await timeCommand([process.execPath, bare, nbPath], { env }));
      }
      process.stdout.write(`  round ${i + 1}/${runs} done\n`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  let met = true;
  process.stdout.write(
    `\n${'kernel'.padEnd(8)} ${'nbx run'.padStart(9)} ${'nbconvert'.padStart(10)} ` +
      `${'bare'.padStart(8)} ${'nbx/nbconvert'.padStart(14)} ${'nbx-bare'.padStart(9)}\n`
  );
  for (const [kernel, t] of Object.entries(times)) {
    const nbx = median(t.nbx);
    const conv = median(t.nbconvert);
    const bare = median(t.bare);
    const ratio = nbx / conv;
    const over = nbx - bare;
    process.stdout.write(
      `${kernel.padEnd(8)} ${ms(nbx).padStart(9)} ${ms(conv).padStart(10)} ${ms(bare).padStart(8)} ` +
        `${ratio.toFixed(2).padStart(13)}x ${ms(over).padStart(9)}\n`
    );
    const ratioOk = kernel !== 'tslab' || ratio <= TARGET_RATIO_TSLAB;
    const overOk = over <= TARGET_OVERHEAD_MS;
    met = met && ratioOk && overOk;
    if (kernel === 'tslab') {
      process.stdout.write(
        `  target nbx/nbconvert <= ${TARGET_RATIO_TSLAB}: ${ratioOk ? 'met' : 'MISSED'}\n`
      );
    }
    process.stdout.write(
      `  target nbx - bare <= ${TARGET_OVERHEAD_MS} ms: ${overOk ? 'met' : 'MISSED'}\n`
    );
  }
  return met;
}
