/**
 * One run's directory, `<root>/runs/<id>/`, and the files the engine keeps in it.
 * The notebook runs with this directory as its working directory, so the names below
 * are reserved: the notebook's own files must not use them.
 */

import { crypto } from '../base/lazy-crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { diskFullOr, UserError } from '../base/errors';
import { isAtomicTempName, writeFileAtomicSync } from '../base/atomic-write';
import { CorruptMetaError, formatMeta, type RunMeta } from './meta';
import { nbxVersion } from '../base/paths';
import { parseMeta } from './meta-schema';
import { withFileLock } from './lock';
import { runsDir } from './root';

/** Names of the files the engine writes in a run directory. */
export const RUN_FILES = {
  /** The run record (`RunMeta`), always replaced atomically. */
  meta: 'meta.json',
  /** The notebook as launched (flags injected), never modified afterwards. */
  snapshot: 'snapshot.ipynb',
  /** The executed notebook, rewritten as cells finish. */
  executed: 'executed.ipynb',
  /** Console output of the run (stdout/stderr of the cells, engine messages). */
  log: 'output.log',
  /** Output of the kernel process and the runner itself (diagnostics, not the notebook's). */
  kernelLog: 'kernel.log',
  /**
   * Directory of scalar logs, one append-only binary file per writer (`output.nbxs` from
   * output scanning, `api-<pid>.nbxs` per process using the in-notebook API); see
   * tracking/scalars-format.
   */
  scalars: 'scalars',
  /** System metrics samples, one JSON object per line. */
  metrics: 'metrics.jsonl',
  /** Engine-private state (kernel connection file, locks, control files, sources list). */
  private: '.nbx',
  /** Earlier executions of a restarted run, `attempts/<n>/` (see store/attempts). */
  attempts: 'attempts',
  /** Held while meta.json is being updated. */
  metaLock: 'meta.json.lock'
} as const;

/** Every name the engine reserves in a run directory. */
export const RESERVED_RUN_FILES: readonly string[] = Object.values(RUN_FILES);

/**
 * True for names the engine owns in a run directory: the reserved files and leftovers of
 * interrupted atomic writes.
 */
export function isReservedRunFile(name: string): boolean {
  return RESERVED_RUN_FILES.includes(name) || isAtomicTempName(name);
}

/**
 * A run directory reserved ahead for a standby kernel (the service's, started in it before
 * the run exists) holds `.nbx/standby.json` and no meta.json until a run claims it
 * (`claimRun`): not a run to list or warn about.
 */
export const STANDBY_FILE = 'standby.json';

/** True for a run directory reserved for a standby kernel and not claimed yet. */
export function isStandbyReserved(runPath: string): boolean {
  return fs.existsSync(path.join(runPath, RUN_FILES.private, STANDBY_FILE));
}

/** A new run id: 32 lowercase hex characters (a random UUID without dashes). */
export function newRunId(): string {
  return crypto().randomUUID().replace(/-/g, '');
}

/** True for a string usable as a run directory name (no separators, not `.`/`..`). */
export function isValidRunId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(id);
}

/** A run directory and its files. Constructing one does not touch the filesystem. */
export class RunDir {
  /** The runs root (`<root>/runs/<id>` is `path`). */
  readonly root: string;
  readonly id: string;
  /** Absolute path of the run directory. */
  readonly path: string;

  constructor(root: string, id: string) {
    if (!isValidRunId(id)) {
      throw new UserError(`invalid run id '${id}' — run ids are letters, digits, '-' and '_'`);
    }
    this.root = path.resolve(root);
    this.id = id;
    this.path = path.join(runsDir(this.root), id);
  }

  /** Path of `name` inside the run directory. */
  file(name: string): string {
    return path.join(this.path, name);
  }

  /** `meta.json` */
  get metaPath(): string {
    return this.file(RUN_FILES.meta);
  }

  /** `snapshot.ipynb`: the notebook as launched. */
  get snapshotPath(): string {
    return this.file(RUN_FILES.snapshot);
  }

  /** `executed.ipynb`: the executed notebook. */
  get executedPath(): string {
    return this.file(RUN_FILES.executed);
  }

  /** `output.log`: console output. */
  get logPath(): string {
    return this.file(RUN_FILES.log);
  }

  /** `kernel.log`: the kernel process's and runner's own output. */
  get kernelLogPath(): string {
    return this.file(RUN_FILES.kernelLog);
  }

  /** `scalars.jsonl` */
  get scalarsPath(): string {
    return this.file(RUN_FILES.scalars);
  }

  /** `metrics.jsonl` */
  get metricsPath(): string {
    return this.file(RUN_FILES.metrics);
  }

  /** `.nbx/`: engine-private files. */
  get privateDir(): string {
    return this.file(RUN_FILES.private);
  }

  /** `.nbx/standby.json`: see `STANDBY_FILE`. */
  get standbyPath(): string {
    return path.join(this.privateDir, STANDBY_FILE);
  }

  /** `.nbx/sources.txt`: the sources copied into the run at launch, one path a line. */
  get sourcesListPath(): string {
    return path.join(this.privateDir, 'sources.txt');
  }

  /** `.nbx/executed.journal`: changes to the executed notebook not yet in its file. */
  get executedJournalPath(): string {
    return path.join(this.privateDir, 'executed.journal');
  }

  /** True when the run directory exists. */
  exists(): boolean {
    try {
      return fs.statSync(this.path).isDirectory();
    } catch {
      return false;
    }
  }

  /**
   * Reads `meta.json` as recorded (no effective-status check, see `effectiveStatus`).
   * Throws a `CorruptMetaError` (a `UserError` naming the file) when missing or corrupt.
   */
  readMeta(): RunMeta {
    let text: string;
    try {
      text = fs.readFileSync(this.metaPath, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CorruptMetaError(
        this.metaPath,
        code === 'ENOENT' ? 'the file is missing' : `cannot read meta.json (${code ?? String(err)})`
      );
    }
    return parseMeta(text, this.metaPath);
  }

  /** Replaces `meta.json` atomically. */
  writeMeta(meta: RunMeta): void {
    writeFileAtomicSync(this.metaPath, formatMeta(meta));
  }

  /**
   * Read-modify-write of `meta.json`: atomic replace, under a lock file so the runner,
   * the CLI and the service kernel never lose each other's updates. `change` is a partial record merged over the current one, or a function
   * returning the new record. The id never changes. Returns the record written.
   */
  updateMeta(change: Partial<RunMeta> | ((meta: RunMeta) => RunMeta)): RunMeta {
    return withFileLock(`${this.metaPath}.lock`, () => {
      const current = this.readMeta();
      const next = typeof change === 'function' ? change(current) : { ...current, ...change };
      const meta = { ...next, id: current.id };
      this.writeMeta(meta);
      return meta;
    });
  }
}

/** What `createRun` needs: the notebook, plus any `RunMeta` fields to set up front. */
export type RunInit = Partial<Omit<RunMeta, 'id' | 'created'>> & { notebook: string };

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers).
    return process.env.USER ?? process.env.LOGNAME ?? String(process.getuid?.() ?? '');
  }
}

/** The record of a new run: `init` over defaults (status `staged`, this host and user). */
export function newRunMeta(id: string, init: RunInit): RunMeta {
  const notebook = path.resolve(init.notebook);
  // Fields given as `undefined` keep their defaults.
  const given = Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined));
  return {
    kernel: null,
    flags: {},
    label: null,
    tags: [],
    status: 'staged',
    pid: null,
    pidStart: null,
    kernelPid: null,
    host: os.hostname(),
    user: currentUser(),
    gpus: null,
    command: [],
    started: null,
    stopped: null,
    exitCode: null,
    error: null,
    progress: { cells: 0, done: 0, current: null },
    sourceDigest: null,
    git: null,
    nbxVersion: nbxVersion(),
    flagDefaults: {},
    attrs: {},
    scalars: {},
    comments: [],
    runtime: null,
    kind: 'run',
    parent: null,
    trials: [],
    batch: null,
    attempts: [],
    ...given,
    id,
    notebook,
    notebookName: init.notebookName ?? path.basename(notebook),
    created: new Date().toISOString()
  };
}

/** Makes the run of `init` in a directory reserved for it (see `STANDBY_FILE`). */
export function claimRun(dir: RunDir, init: RunInit): RunDir {
  dir.writeMeta(newRunMeta(dir.id, init));
  return dir;
}

/**
 * Creates `<root>/runs/<new id>/` (and its parents) and writes its `meta.json`
 * atomically; if that fails (a full disk: `DiskFullError`), the directory is removed.
 * Unset fields get defaults (see `newRunMeta`); `notebook` is made absolute.
 */
export function createRun(root: string, init: RunInit): RunDir {
  try {
    fs.mkdirSync(runsDir(root), { recursive: true });
  } catch (err) {
    throw diskFullOr(err, runsDir(root));
  }
  for (;;) {
    const dir = new RunDir(root, newRunId());
    try {
      fs.mkdirSync(dir.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        continue;
      }
      throw diskFullOr(err, dir.path);
    }
    try {
      dir.writeMeta(newRunMeta(dir.id, init));
    } catch (err) {
      // No run without a record: an empty directory would be warned about forever.
      fs.rmSync(dir.path, { recursive: true, force: true });
      throw err;
    }
    return dir;
  }
}
