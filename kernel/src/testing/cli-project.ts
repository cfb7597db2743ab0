/**
 * Helpers of the CLI tests: a project directory with its own runs root, and reading
 * back what runs wrote there.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { parseNotebook } from '../notebook/io';
import type { ICodeCell, IStreamOutput } from '../notebook/nbformat';
import type { RunMeta } from '../store/meta';
import { cliEnv, tempDir } from './fixtures';

/** A temporary project: its directory, its runs root (`NBX_HOME`), the CLI's env. */
export interface ICliProject {
  dir: string;
  home: string;
  env: NodeJS.ProcessEnv;
}

export function cliProject(): ICliProject {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  return { dir, home, env: cliEnv(home) };
}

/** The run ids under a runs root ([] before the first run). */
export function runIds(home: string): string[] {
  try {
    return fs.readdirSync(path.join(home, 'runs'));
  } catch {
    return [];
  }
}

export function readMeta(home: string, id: string): RunMeta {
  return JSON.parse(fs.readFileSync(path.join(home, 'runs', id, 'meta.json'), 'utf8')) as RunMeta;
}

/** What a code cell printed to its streams. */
export function streamText(cell: ICodeCell): string {
  return cell.outputs
    .filter((o): o is IStreamOutput => o.output_type === 'stream')
    .map(o => (Array.isArray(o.text) ? o.text.join('') : o.text))
    .join('');
}

/** What the cells of a run's executed notebook printed. */
export function executedText(home: string, id: string): string {
  const nb = parseNotebook(
    fs.readFileSync(path.join(home, 'runs', id, 'executed.ipynb'), 'utf8'),
    'executed.ipynb'
  );
  return nb.cells
    .filter((c): c is ICodeCell => c.cell_type === 'code')
    .map(streamText)
    .join('');
}

/** Asserts a refusal: the exit status (any but 0 for 'failed'), one stderr line matching. */
export function assertOneLine(
  r: { status: number | null; stderr: string },
  status: number | 'failed',
  pattern: RegExp
): void {
  if (status === 'failed') {
    assert.notEqual(r.status, 0, r.stderr);
  } else {
    assert.equal(r.status, status, r.stderr);
  }
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
}
