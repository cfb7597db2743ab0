/**
 * Kernelspec discovery, following `jupyter kernelspec list`.
 *
 * Search order (first hit per name wins): `$JUPYTER_PATH` entries, the user
 * data dir (`$JUPYTER_DATA_DIR` or `~/.local/share/jupyter`), the active
 * environment (`$VIRTUAL_ENV`, `$CONDA_PREFIX`), then — so that a project's
 * own venv works without being activated — a `.venv` in the working directory
 * or its ancestors and in nbx's own install, then the system dirs.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../base/errors';
import { PACKAGE_ROOT } from '../base/paths';

export interface IKernelSpec {
  /** Directory name: what notebooks refer to in `metadata.kernelspec.name`. */
  name: string;
  /** The directory holding `kernel.json`. */
  resourceDir: string;
  argv: string[];
  displayName: string;
  language: string;
  interruptMode: 'signal' | 'message';
  env: Record<string, string>;
  /**
   * An nbx service kernel (`metadata.nbx.service` in its kernel.json): JupyterLab's link to
   * nbx, which runs no notebooks, so it is never a kernel to run one in.
   */
  service: boolean;
}

export interface IDiscoveryOptions {
  env?: NodeJS.ProcessEnv;
  /** Where to look for a project `.venv` (the notebook's directory, usually). */
  cwd?: string;
}

/** Jupyter's per-user data directory, as jupyter_core computes it. */
export function userDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JUPYTER_DATA_DIR) {
    return path.resolve(env.JUPYTER_DATA_DIR);
  }
  if (process.platform === 'darwin') {
    return path.join(os.homedir(), 'Library', 'Jupyter');
  }
  return path.join(env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'jupyter');
}

/** The `share/jupyter` directories searched, in priority order, without duplicates. */
export function jupyterDataPaths(options: IDiscoveryOptions = {}): string[] {
  const env = options.env ?? process.env;
  const dirs: string[] = [];
  for (const p of (env.JUPYTER_PATH ?? '').split(path.delimiter)) {
    if (p) {
      dirs.push(p);
    }
  }
  dirs.push(userDataDir(env));
  for (const prefix of [env.VIRTUAL_ENV, env.CONDA_PREFIX]) {
    if (prefix) {
      dirs.push(path.join(prefix, 'share', 'jupyter'));
    }
  }
  for (const dir of ancestors(path.resolve(options.cwd ?? process.cwd()))) {
    dirs.push(path.join(dir, '.venv', 'share', 'jupyter'));
  }
  dirs.push(path.join(PACKAGE_ROOT, '.venv', 'share', 'jupyter'));
  dirs.push('/usr/local/share/jupyter', '/usr/share/jupyter');
  return [...new Set(dirs.map(d => path.resolve(d)))];
}

function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    out.push(d);
    if (path.dirname(d) === d) {
      return out;
    }
  }
}

/** Every installed kernelspec, by name. Specs that fail to parse are skipped. */
export function findKernelSpecs(options: IDiscoveryOptions = {}): Map<string, IKernelSpec> {
  const specs = new Map<string, IKernelSpec>();
  for (const dataDir of jupyterDataPaths(options)) {
    const kernelsDir = path.join(dataDir, 'kernels');
    let names: string[];
    try {
      names = fs.readdirSync(kernelsDir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const key = name.toLowerCase();
      if (specs.has(key)) {
        continue;
      }
      const spec = readKernelSpec(path.join(kernelsDir, name));
      if (spec) {
        specs.set(key, spec);
      }
    }
  }
  return specs;
}

/** Reads one kernelspec directory, or returns null if it holds no valid `kernel.json`. */
export function readKernelSpec(resourceDir: string): IKernelSpec | null {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(resourceDir, 'kernel.json'), 'utf8'));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) {
    return null;
  }
  const json = raw as Record<string, unknown>;
  const argv = json.argv;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every(a => typeof a === 'string')) {
    return null;
  }
  const name = path.basename(resourceDir).toLowerCase();
  const env: Record<string, string> = {};
  if (typeof json.env === 'object' && json.env !== null) {
    for (const [k, v] of Object.entries(json.env)) {
      if (typeof v === 'string') {
        env[k] = v;
      }
    }
  }
  return {
    name,
    resourceDir,
    argv: argv as string[],
    displayName: typeof json.display_name === 'string' ? json.display_name : name,
    language: typeof json.language === 'string' ? json.language : '',
    interruptMode: json.interrupt_mode === 'message' ? 'message' : 'signal',
    env,
    service: isServiceMetadata(json.metadata)
  };
}

/** True for kernel.json `metadata` holding `nbx: { service: true }`. */
function isServiceMetadata(metadata: unknown): boolean {
  if (typeof metadata !== 'object' || metadata === null) {
    return false;
  }
  const nbx = (metadata as Record<string, unknown>).nbx;
  return (
    typeof nbx === 'object' && nbx !== null && (nbx as Record<string, unknown>).service === true
  );
}

/**
 * The kernelspec called `name` to run a notebook in; a `UserError` listing the installed
 * kernels when there is none, or when it is an nbx service kernel.
 */
export function getKernelSpec(name: string, options: IDiscoveryOptions = {}): IKernelSpec {
  const specs = findKernelSpecs(options);
  const spec = specs.get(name.toLowerCase());
  if (!spec || spec.service) {
    const known = [...runKernelSpecs(options).keys()].sort();
    const installed = `${known.length ? known.join(', ') : 'none'} (choose one with --kernel)`;
    throw new UserError(
      spec
        ? `kernel '${spec.name}' is the nbx service kernel, which runs no notebooks; ` +
            `kernels to run in: ${installed}`
        : `no kernel named '${name}'; installed kernels: ${installed}`
    );
  }
  return spec;
}

/** The installed kernelspecs notebooks can run in (every one but nbx service kernels). */
export function runKernelSpecs(options: IDiscoveryOptions = {}): Map<string, IKernelSpec> {
  return new Map([...findKernelSpecs(options)].filter(([, spec]) => !spec.service));
}

/**
 * The command line to start `spec` with a connection file.
 *
 * Like jupyter_client, a bare `python` as the program means "the Python this
 * spec was installed with": `<prefix>/bin/python` when the spec lives under
 * `<prefix>/share/jupyter/kernels`.
 */
export function kernelCommand(spec: IKernelSpec, connectionFile: string): string[] {
  const argv = spec.argv.map(arg =>
    arg
      .replace(/\{connection_file\}/g, connectionFile)
      .replace(/\{resource_dir\}/g, spec.resourceDir)
  );
  if (/^python(\d(\.\d+)?)?$/.test(argv[0])) {
    const prefix = path.resolve(spec.resourceDir, '..', '..', '..', '..');
    const python = path.join(prefix, 'bin', 'python');
    if (fs.existsSync(python)) {
      argv[0] = python;
    }
  }
  return argv;
}

/**
 * Arguments nbx adds to an IPython kernel's command line, as nbclient does: its SQLite
 * history in memory (`--HistoryManager.hist_file=:memory:`), so kernels started at once
 * (the trials of a sweep) never share one history file. `NBX_IPYTHON_HIST_FILE` names
 * another file (nbclient's `ipython_hist_file`); empty, the kernel keeps its own default.
 * Other kernels, and specs that set the history file themselves, get nothing.
 */
export function ipythonHistoryArguments(spec: IKernelSpec, env: NodeJS.ProcessEnv): string[] {
  const file = env.NBX_IPYTHON_HIST_FILE ?? ':memory:';
  const ipython =
    ['python', 'python2', 'python3'].includes(spec.name) ||
    spec.argv.some(arg => arg === 'ipykernel_launcher' || arg === 'ipykernel');
  if (!ipython || file === '' || spec.argv.some(a => a.startsWith('--HistoryManager.hist_file'))) {
    return [];
  }
  return [`--HistoryManager.hist_file=${file}`];
}
