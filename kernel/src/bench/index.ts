/**
 * `npm run bench -- index`: the runs index on 10,000 generated run directories (20 flags
 * and 30 scalar keys each, see gen-runs.ts), every measurement a fresh process:
 *
 *   baseline  `node` reading and JSON.parse-ing every meta.json once
 *   cold      `nbx runs --limit 20` with no cache     target ≤ 2× baseline
 *   warm      the same with the cache current         target ≤ 200 ms
 *   compare   `nbx compare --arrow FILE` of all runs  target ≤ 1 s (warm)
 *
 * nbx runs as typed: through the `nbx` launcher (see kernel/bin/path/nbx).
 *
 * Options: `--runs N` rounds (default 5, interleaved, medians), `--count N` runs
 * (default 10,000), `--cli PATH` another nbx script (run with node), `--keep` keeps the runs root.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { arrow } from '../store/index-arrow';
import { removeIndexCache } from '../store/index-cache';
import { generateRuns } from './gen-runs';
import { intOption, median, ms, stringOption, timeCommand } from './measure';
import { NBX_COMMAND } from '../base/paths';

const TARGET_COLD_RATIO = 2;
const TARGET_WARM_MS = 200;
const TARGET_COMPARE_MS = 1000;

/** What the baseline process runs: read and parse every meta.json once. */
const BASELINE = `
const fs = require('fs'), path = require('path');
const dir = process.argv[1];
let n = 0;
for (const id of fs.readdirSync(dir)) {
  try { JSON.parse(fs.readFileSync(path.join(dir, id, 'meta.json'), 'utf8')); n++; } catch {}
}
if (n === 0) { process.exit(1); }
`;

function row(label: string, value: number, extra = ''): string {
  return `  ${label.padEnd(44)} ${ms(value).padStart(8)}${extra ? `  ${extra}` : ''}\n`;
}

/** Runs the index benchmark; true when every target is met. */
export async function benchIndex(args: string[]): Promise<boolean> {
  const rounds = intOption(args, '--runs', 5);
  const count = intOption(args, '--count', 10_000);
  const cli = stringOption(args, '--cli');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-bench-index-'));
  const root = path.join(dir, 'home');
  const arrowFile = path.join(dir, 'compare.arrow');
  const env = { ...process.env, NBX_HOME: root };
  const node = process.execPath;
  const times = { node: [] as number[], baseline: [] as number[], cold: [] as number[] };
  const warm: number[] = [];
  const compare: number[] = [];
  let compared = -1;
  try {
    const genStart = Date.now();
    generateRuns(root, { count });
    process.stdout.write(
      `index: ${count} generated runs (20 flags, 30 scalar keys each) in ${ms(Date.now() - genStart)}; ` +
        `${rounds} rounds, interleaved\n`
    );
    const nbx = cli === undefined ? [NBX_COMMAND] : [node, cli];
    const runsArgs = [...nbx, 'runs', '--limit', '20'];
    for (let i = 0; i < rounds; i++) {
      times.node.push(await timeCommand([node, '-e', '0']));
      times.baseline.push(await timeCommand([node, '-e', BASELINE, path.join(root, 'runs')]));
      removeIndexCache(root);
      times.cold.push(await timeCommand(runsArgs, { env }));
      warm.push(await timeCommand(runsArgs, { env }));
      compare.push(await timeCommand([...nbx, 'compare', '--arrow', arrowFile], { env }));
      process.stdout.write(`  round ${i + 1}/${rounds} done\n`);
    }
    compared = arrow.tableFromIPC(fs.readFileSync(arrowFile)).numRows;
  } finally {
    if (args.includes('--keep')) {
      process.stdout.write(`kept ${root}\n`);
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const baseline = median(times.baseline);
  const cold = median(times.cold);
  const ratio = cold / baseline;
  const coldOk = ratio <= TARGET_COLD_RATIO;
  const warmOk = median(warm) <= TARGET_WARM_MS;
  const compareOk = median(compare) <= TARGET_COMPARE_MS && compared === count;
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  process.stdout.write('\nmedians (each a fresh process):\n');
  process.stdout.write(row('node -e 0 (process start, for reference)', median(times.node)));
  process.stdout.write(row('read + JSON.parse every meta.json (baseline)', baseline));
  process.stdout.write(
    row(
      'nbx runs --limit 20, cold (no cache)',
      cold,
      `${ratio.toFixed(2)}x baseline; target <= ${TARGET_COLD_RATIO}x: ${verdict(coldOk)}`
    )
  );
  process.stdout.write(
    row(
      'nbx runs --limit 20, warm',
      median(warm),
      `target <= ${TARGET_WARM_MS} ms: ${verdict(warmOk)}`
    )
  );
  process.stdout.write(
    row(
      `nbx compare --arrow (${compared} rows), warm`,
      median(compare),
      `target <= ${TARGET_COMPARE_MS} ms: ${verdict(compareOk)}`
    )
  );
  return coldOk && warmOk && compareOk;
}
