/**
 * Builds tslab's startup snapshot (see tslab-snapshot.ts): run as
 * `node tslab-snapshot-build.js TSLAB_DIR BLOB [LOCK]`, in a process of its own (it loads
 * tslab's converter to learn its compiler options). Exit code 0 when BLOB was written.
 *
 * The compiler options are tslab's own, taken from its converter as it creates its compiler
 * in an empty directory (then stopped before it compiles anything): the snapshot's builder,
 * which may load Node's built-in modules only, compiles the standard library with them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {
  FAILED_PREFIX,
  failedMarker,
  pruneSnapshots,
  snapshotPlan,
  SNAPSHOT_ENTRY
} from './tslab-snapshot';

const CAPTURED = new Error('compiler options captured');

/** The compiler options tslab's converter creates its program with, in `cwd`. */
function converterOptions(tslabDir: string, tsFile: string, cwd: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require(tsFile) as Record<string, unknown> & {
    createWatchCompilerHost(...args: unknown[]): unknown;
  };
  let options: unknown;
  const spy = {
    ...ts,
    createWatchCompilerHost(...args: unknown[]): unknown {
      options = args[1];
      throw CAPTURED;
    }
  };
  (require.cache[tsFile] as NodeJS.Module).exports = spy;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const converter = require(path.join(tslabDir, 'dist', 'converter.js')) as {
    createConverter(): unknown;
  };
  const before = process.cwd();
  process.chdir(cwd);
  try {
    converter.createConverter();
  } catch (err) {
    if (err !== CAPTURED) {
      throw err;
    }
  } finally {
    process.chdir(before);
  }
  if (options === undefined) {
    throw new Error("tslab's converter did not create its compiler host");
  }
  return options;
}

/** Builds the snapshot of the tslab in `tslabDir` into `blob`; throws why it could not. */
export function buildTslabSnapshot(tslabDir: string, blob: string): void {
  const plan = snapshotPlan(tslabDir, path.dirname(blob));
  if (plan.blob !== blob) {
    throw new Error(`${blob} is not the snapshot of this tslab and node (${plan.blob})`);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-tslab-snapshot-'));
  const temp = `${blob}.${process.pid}.tmp`;
  try {
    const empty = path.join(work, 'cwd');
    fs.mkdirSync(empty);
    const options = converterOptions(tslabDir, plan.tsFile, empty);
    const manifest = path.join(work, 'manifest.json');
    fs.writeFileSync(manifest, JSON.stringify({ key: plan.key, tsFile: plan.tsFile, options }));
    const r = spawnSync(
      process.execPath,
      [...process.execArgv, '--snapshot-blob', temp, '--build-snapshot', SNAPSHOT_ENTRY, manifest],
      { cwd: empty, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] }
    );
    if (r.status !== 0 || !fs.existsSync(temp)) {
      const why = r.error?.message ?? lastLine(r.stderr) ?? `exit code ${r.status}`;
      throw new Error(`node --build-snapshot failed: ${why}`);
    }
    fs.renameSync(temp, blob);
    pruneSnapshots(path.dirname(blob), blob);
  } finally {
    fs.rmSync(temp, { force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function lastLine(text: string | null): string | undefined {
  const lines = (text ?? '').trim().split('\n');
  const error = lines.find(l => /Error/.test(l));
  return error ?? lines.at(-1) ?? undefined;
}

if (require.main === module) {
  const [tslabDir, blob, lock] = process.argv.slice(2);
  try {
    buildTslabSnapshot(tslabDir, blob);
  } catch (err) {
    const why = `${FAILED_PREFIX}${(err as Error).message}\n`;
    process.stderr.write(why);
    // Kernels of this key do not try again (a new key, or removing this file, does).
    fs.writeFileSync(failedMarker(blob), why);
    process.exitCode = 1;
  } finally {
    if (lock) {
      fs.rmSync(lock, { force: true });
    }
  }
}
