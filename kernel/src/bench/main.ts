/**
 * `npm run bench -- <name> [options]`: benchmarks that measure nbx against
 * the tools it replaces, side by side in the same run, and print the ratios.
 */
import { benchExec } from './exec';
import { benchLog } from './log';
import { benchIndex } from './index';
import { benchSweep } from './sweep';
import { benchLab } from './lab';
import { benchPanels } from './panels';
import { benchPath } from './path';
import { benchCells, benchFlood } from './stress';
import { benchWarm } from './warm';

const BENCHES: Record<string, { about: string; run: (args: string[]) => Promise<boolean> }> = {
  exec: {
    about: 'nbx run vs jupyter nbconvert --execute vs a bare kernel start + execute',
    run: benchExec
  },
  log: {
    about: '1M nbx.log calls in a tslab cell vs a no-op loop; output scanning MB/s vs text.split',
    run: benchLog
  },
  index: {
    about: 'runs index: nbx runs cold/warm vs reading every meta.json; nbx compare --arrow',
    run: benchIndex
  },
  sweep: {
    about: '20 trials of a tslab notebook: a --parallel 2 sweep vs 20 nbx runs one by one',
    run: benchSweep
  },
  flood: {
    about: '300,000 lines from one Python cell: nbx run vs nbconvert (wall, peak RSS, bytes)',
    run: benchFlood
  },
  cells: {
    about: '1,000 small cells (--kernel python3|tslab): nbx run vs nbconvert',
    run: benchCells
  },
  lab: {
    about: 'service kernel start vs ipykernel; Runs panel first rows with 10,000 runs (browser)',
    run: benchLab
  },
  panels: {
    about:
      'Compare (10,000 runs) and Scalars (20 runs × 100,000 points) in the browser vs HTML/Plotly',
    run: benchPanels
  },
  warm: {
    about: 'tslab start (code cache) and warm-kernel sweeps vs nbconvert from a plain venv',
    run: benchWarm
  },
  path: {
    about: '`nbx runs` as typed after `source .venv/bin/activate`, 10,000 runs, vs node -e 0',
    run: benchPath
  }
};

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  const bench = name ? BENCHES[name] : undefined;
  if (!bench) {
    process.stderr.write(
      `usage: npm run bench -- <name> [--runs N]\n\nbenchmarks:\n` +
        Object.entries(BENCHES)
          .map(([n, b]) => `  ${n.padEnd(8)} ${b.about}`)
          .join('\n') +
        '\n'
    );
    process.exitCode = 2;
    return;
  }
  const met = await bench.run(args);
  process.exitCode = met ? 0 : 1;
}

void main(process.argv.slice(2));
