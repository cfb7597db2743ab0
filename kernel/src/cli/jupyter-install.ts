/**
 * `nbx install`, `nbx uninstall` and `nbx doctor`: nbx in a Jupyter environment.
 *
 * What `install` puts into a Jupyter data directory (`<prefix>/share/jupyter`, or the
 * user's), each pointing at this installed package and the node running it:
 *
 *   kernels/tslab, kernels/jslab   the TypeScript and JavaScript kernels of the tslab this
 *                                  package depends on, started by kernel/bin/tslab-kernel.js
 *                                  (a V8 code cache; marked `metadata.nbx.installed`)
 *   kernels/nbx-service            the service kernel the JupyterLab panels talk to
 *   labextensions/<name>           a copy of the prebuilt JupyterLab extension, with an
 *                                  `install.json` naming the npm package
 *
 * and it applies patches/tslab-<version>.patch to that tslab, as the setup does in a
 * checkout, when it is not applied yet.
 *
 * `uninstall` removes exactly those (a tslab kernelspec nbx did not write stays).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { errorMessage, UserError } from '../base/errors';
import { jupyterDataPaths, userDataDir } from '../protocol/kernelspec';
import { PACKAGE_ROOT, realPath } from '../base/paths';
import { tslabReadsShorthand } from '../protocol/tslab';
import {
  failedMarker,
  failedReason,
  snapshotEnabled,
  snapshotFor
} from '../protocol/tslab-snapshot';
import { SERVICE_KERNEL_NAME, SERVICE_MAIN, writeServiceKernelspec } from '../service/install';

/** The prebuilt JupyterLab extension inside this package. */
export const LABEXTENSION_SOURCE = path.join(PACKAGE_ROOT, 'labextension');

/** Where to install: one of `--user` (the default), `--sys-prefix`, `--prefix P`. */
export interface ITargetOptions {
  user?: boolean;
  sysPrefix?: boolean;
  prefix?: string;
  /** The Python whose `sys.prefix` `--sys-prefix` means (default `python3`). */
  python?: string;
}

/** A resolved Jupyter data directory and how it was chosen. */
export interface ITarget {
  dataDir: string;
  /** For messages: `--prefix /x`, `--sys-prefix (python3: /x)`, `--user`. */
  description: string;
}

/** One thing install or uninstall did. */
export interface IChange {
  what: string;
  path: string;
}

/** The npm package's name and version, read from its package.json. */
export function packageInfo(root = PACKAGE_ROOT): { name: string; version: string } {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  return { name: pkg.name, version: pkg.version };
}

/** The name JupyterLab knows the prebuilt extension by (its package.json name). */
function labextensionName(): string {
  const file = path.join(LABEXTENSION_SOURCE, 'package.json');
  if (!fs.existsSync(file)) {
    throw new UserError(
      `the prebuilt JupyterLab extension is missing (${file}): build it with \`npm run build\``,
      1
    );
  }
  return packageInfo(LABEXTENSION_SOURCE).name;
}

/** Runs `python -c code` and returns its trimmed stdout; a UserError when it cannot. */
function runPython(python: string, code: string): string {
  try {
    return execFileSync(python, ['-c', code], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000
    }).trim();
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    const last = stderr.split('\n').pop() || errorMessage(err);
    throw new UserError(`cannot run ${python}: ${last}`);
  }
}

/** The Jupyter data directory the options name. */
export function resolveTarget(opts: ITargetOptions, env = process.env): ITarget {
  const chosen = [
    opts.user && '--user',
    opts.sysPrefix && '--sys-prefix',
    opts.prefix && '--prefix'
  ]
    .filter(Boolean)
    .join(', ');
  if (chosen.includes(',')) {
    throw new UserError(`give one of --user, --sys-prefix, --prefix (not ${chosen})`);
  }
  if (opts.python !== undefined && (opts.user || opts.prefix !== undefined)) {
    throw new UserError('--python goes with --sys-prefix (or alone), not with --user or --prefix');
  }
  if (opts.prefix !== undefined) {
    if (!opts.prefix) {
      throw new UserError('--prefix needs a directory');
    }
    const prefix = path.resolve(opts.prefix);
    return { dataDir: path.join(prefix, 'share', 'jupyter'), description: `--prefix ${prefix}` };
  }
  if (opts.sysPrefix || opts.python !== undefined) {
    const python = opts.python ?? 'python3';
    const prefix = runPython(python, 'import sys; print(sys.prefix)');
    return {
      dataDir: path.join(prefix, 'share', 'jupyter'),
      description: `--sys-prefix (${python}: ${prefix})`
    };
  }
  return { dataDir: userDataDir(env), description: '--user' };
}

/** The tslab this package depends on: its package directory and version. */
export function tslabPackage(): { dir: string; version: string } {
  const dir = path.dirname(require.resolve('tslab/package.json', { paths: [PACKAGE_ROOT] }));
  return { dir, version: packageInfo(dir).version };
}

/** What the tslab and jslab kernelspecs run: tslab's `main` behind a code cache. */
export const TSLAB_LAUNCHER = path.join(PACKAGE_ROOT, 'kernel', 'bin', 'tslab-kernel.js');

/** The kernel.json of tslab's TypeScript (or, with `js`, JavaScript) kernel. */
export function tslabKernelJson(js: boolean, node = process.execPath): Record<string, unknown> {
  const argv = [node, TSLAB_LAUNCHER, 'kernel'];
  // tslab reads the connection file from its own argument (--config-path), as its installer writes.
  argv.push('--config-path', '{connection_file}');
  if (js) {
    argv.push('--js');
  }
  return {
    argv,
    display_name: js ? 'JavaScript' : 'TypeScript',
    language: js ? 'javascript' : 'typescript',
    metadata: { nbx: { installed: true } }
  };
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(value, null, 1)}\n`);
  fs.renameSync(temp, file);
}

/** Removes a file, a directory tree, or a symlink (not what it points to). */
function removeEntry(p: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(p);
  } catch {
    return;
  }
  if (stat.isDirectory()) {
    fs.rmSync(p, { recursive: true, force: true });
  } else {
    fs.unlinkSync(p);
  }
}

/**
 * Applies nbx's patch to the tslab this package runs when it is not applied yet (with
 * `patch`, as the setup does); what it did, or why it could not.
 */
function patchTslab(): IChange | null {
  const { dir, version } = tslabPackage();
  if (tslabReadsShorthand(dir)) {
    return null;
  }
  const patchFile = path.join(PACKAGE_ROOT, 'patches', `tslab-${version}.patch`);
  // The patch names node_modules/tslab/...: applied from the directory holding node_modules.
  const r = spawnSync(
    'patch',
    ['-p1', '-N', '-s', '-d', path.dirname(path.dirname(dir)), '-i', patchFile],
    {
      encoding: 'utf8'
    }
  );
  if (r.status === 0) {
    return { what: `tslab ${version} patched`, path: dir };
  }
  const why = r.error ? errorMessage(r.error) : (r.stderr || r.stdout).trim().split('\n')[0];
  return { what: `tslab ${version} NOT patched (${why})`, path: dir };
}

/** Writes the tslab and jslab kernelspecs into `kernels` (also the setup's); their dirs. */
export function writeTslabKernelspecs(kernels: string): string[] {
  return (
    [
      ['tslab', false],
      ['jslab', true]
    ] as const
  ).map(([spec, js]) => {
    const dir = path.join(kernels, spec);
    writeJson(path.join(dir, 'kernel.json'), tslabKernelJson(js));
    return dir;
  });
}

/** Installs the kernelspecs and the prebuilt extension into `dataDir`; what it wrote. */
export function installInto(dataDir: string): IChange[] {
  const name = labextensionName();
  const kernels = path.join(dataDir, 'kernels');
  const changes: IChange[] = [];
  try {
    const patched = patchTslab();
    if (patched !== null) {
      changes.push(patched);
    }
    for (const dir of writeTslabKernelspecs(kernels)) {
      changes.push({ what: `kernelspec ${path.basename(dir)}`, path: dir });
    }
    changes.push({
      what: `kernelspec ${SERVICE_KERNEL_NAME}`,
      path: writeServiceKernelspec(kernels)
    });
    const target = path.join(dataDir, 'labextensions', name);
    removeEntry(target);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.cpSync(LABEXTENSION_SOURCE, target, { recursive: true });
    const { name: packageName } = packageInfo();
    writeJson(path.join(target, 'install.json'), {
      packageManager: 'npm',
      packageName,
      uninstallInstructions: `Run \`nbx uninstall\` (with the options given to \`nbx install\`), then \`npm uninstall -g ${packageName}\``
    });
    changes.push({ what: `labextension ${name}`, path: target });
  } catch (err) {
    if (err instanceof UserError) {
      throw err;
    }
    throw new UserError(`cannot install into ${dataDir}: ${errorMessage(err)}`, 1);
  }
  return changes;
}

/** The parsed kernel.json in `dir`, or null. */
function readKernelJson(dir: string): Record<string, unknown> | null {
  try {
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'kernel.json'), 'utf8')) as unknown;
    return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** True when the kernelspec in `dir` is one `nbx install` (or the setup) wrote. */
function isOurKernelspec(dir: string): boolean {
  const meta = readKernelJson(dir)?.metadata as { nbx?: Record<string, unknown> } | undefined;
  return meta?.nbx?.installed === true || meta?.nbx?.service === true;
}

/** Removes from `dataDir` what `installInto` wrote there; what it removed. */
export function uninstallFrom(dataDir: string): IChange[] {
  const name = labextensionName();
  const changes: IChange[] = [];
  try {
    for (const spec of ['tslab', 'jslab', SERVICE_KERNEL_NAME]) {
      const dir = path.join(dataDir, 'kernels', spec);
      if (isOurKernelspec(dir)) {
        removeEntry(dir);
        changes.push({ what: `kernelspec ${spec}`, path: dir });
      }
    }
    const ext = path.join(dataDir, 'labextensions', name);
    if (fs.existsSync(path.join(ext, 'package.json')) || isSymlink(ext)) {
      removeEntry(ext);
      changes.push({ what: `labextension ${name}`, path: ext });
    }
  } catch (err) {
    throw new UserError(`cannot uninstall from ${dataDir}: ${errorMessage(err)}`, 1);
  }
  return changes;
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** One line of `nbx doctor`. */
export interface ICheck {
  status: 'ok' | 'missing' | 'stale';
  what: string;
  detail: string;
}

/** The Jupyter data paths and how they were found, for the doctor. */
export interface IJupyterPaths {
  /** `python3 (/x/bin/python3), jupyterlab 4.6.4`, or why Jupyter was not found. */
  source: string;
  found: boolean;
  dataPaths: string[];
}

/**
 * The data paths of the Jupyter that `python` (default: `jupyter` on the PATH) runs,
 * as `jupyter --paths --json` gives them; nbx's own search path when there is none.
 */
export function jupyterPaths(python?: string): IJupyterPaths {
  const code =
    'import sys, json\n' +
    'from jupyter_core.paths import jupyter_path\n' +
    'from importlib.metadata import version\n' +
    'try:\n    lab = version("jupyterlab")\nexcept Exception:\n    lab = None\n' +
    'print(json.dumps({"python": sys.executable, "lab": lab, "data": jupyter_path()}))';
  let interpreter = python;
  if (interpreter === undefined) {
    const jupyter = onPath('jupyter');
    if (jupyter === null) {
      return {
        source: 'no `jupyter` on the PATH (activate the environment, or give --python)',
        found: false,
        dataPaths: jupyterDataPaths()
      };
    }
    interpreter = shebangPython(jupyter) ?? 'python3';
  }
  try {
    const info = JSON.parse(runPython(interpreter, code)) as {
      python: string;
      lab: string | null;
      data: string[];
    };
    return {
      source: `${info.python}, ${info.lab ? `jupyterlab ${info.lab}` : 'no jupyterlab'}`,
      found: info.lab !== null,
      dataPaths: info.data
    };
  } catch (err) {
    return {
      source: `${interpreter} has no Jupyter (${errorMessage(err)})`,
      found: false,
      dataPaths: jupyterDataPaths()
    };
  }
}

/** The first `name` on the PATH that is an executable file, or null. */
export function onPath(name: string, env = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir || '.', name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) {
        return candidate;
      }
    } catch {
      // not here
    }
  }
  return null;
}

/** The interpreter of a script's `#!` line when it is a Python, else null. */
function shebangPython(script: string): string | null {
  try {
    const first = fs.readFileSync(script, 'utf8').split('\n', 1)[0];
    const match = /^#!\s*(\S*python[\d.]*)\s*$/.exec(first);
    return match ? match[1] : null;
  } catch {
    return null;
  }
}

/** The first `<dataDir>/<sub>` that exists, in search order, or null. */
function firstIn(dataPaths: string[], sub: string): string | null {
  for (const dir of dataPaths) {
    const candidate = path.join(dir, sub);
    if (fs.existsSync(candidate)) {
      return candidate;
    }
  }
  return null;
}

/** The script a kernelspec runs: argv[1] when argv[0] is a node binary, else argv[0]. */
function kernelProgram(argv: string[]): string {
  return /^node(\.exe)?$/.test(path.basename(argv[0])) && argv.length > 1 ? argv[1] : argv[0];
}

/** What `nbx doctor` checks, in order: this package, the PATH, the Jupyter environment. */
export async function doctorChecks(jupyter: IJupyterPaths, env = process.env): Promise<ICheck[]> {
  const checks: ICheck[] = [];
  const root = realPath(PACKAGE_ROOT);
  const ownFile = (p: string): boolean => realPath(p).startsWith(`${root}${path.sep}`);
  try {
    const zmq = packageInfo(path.dirname(require.resolve('zeromq/package.json')));
    await import('zeromq');
    checks.push({ status: 'ok', what: 'zeromq', detail: `${zmq.version}, prebuilt binary loads` });
  } catch (err) {
    checks.push({ status: 'missing', what: 'zeromq', detail: errorMessage(err).split('\n')[0] });
  }
  try {
    const tslab = tslabPackage();
    const patched = tslabReadsShorthand(tslab.dir);
    checks.push({
      status: patched ? 'ok' : 'stale',
      what: 'tslab',
      detail: `${tslab.version} in ${tslab.dir}${patched ? '' : ", without nbx's patch (nbx install applies it)"}`
    });
  } catch (err) {
    checks.push({ status: 'missing', what: 'tslab', detail: errorMessage(err).split('\n')[0] });
  }
  const nbx = onPath('nbx', env);
  if (nbx === null) {
    checks.push({ status: 'missing', what: 'nbx on the PATH', detail: 'no `nbx` command' });
  } else if (ownFile(nbx)) {
    checks.push({ status: 'ok', what: 'nbx on the PATH', detail: nbx });
  } else {
    checks.push({
      status: 'stale',
      what: 'nbx on the PATH',
      detail: `${nbx} is another nbx (not ${root})`
    });
  }
  checks.push({
    status: jupyter.found ? 'ok' : 'missing',
    what: 'jupyterlab',
    detail: jupyter.source
  });
  let name: string | null = null;
  try {
    name = labextensionName();
  } catch (err) {
    checks.push({ status: 'missing', what: 'labextension', detail: errorMessage(err) });
  }
  if (name !== null) {
    const ext = firstIn(jupyter.dataPaths, path.join('labextensions', name));
    if (ext === null) {
      checks.push({ status: 'missing', what: `labextension ${name}`, detail: 'not installed' });
    } else {
      const installed = packageInfo(ext).version;
      const ours = packageInfo(LABEXTENSION_SOURCE).version;
      checks.push({
        status: installed === ours ? 'ok' : 'stale',
        what: `labextension ${name}`,
        detail: installed === ours ? ext : `${ext} is version ${installed}, this nbx ${ours}`
      });
    }
  }
  for (const spec of ['tslab', 'jslab', SERVICE_KERNEL_NAME]) {
    const dir = firstIn(jupyter.dataPaths, path.join('kernels', spec, 'kernel.json'));
    const argv = dir === null ? null : readKernelJson(path.dirname(dir))?.argv;
    if (dir === null || !Array.isArray(argv)) {
      checks.push({ status: 'missing', what: `kernelspec ${spec}`, detail: 'not installed' });
      continue;
    }
    const program = kernelProgram(argv.map(String));
    const expected = realPath(spec === SERVICE_KERNEL_NAME ? SERVICE_MAIN : TSLAB_LAUNCHER);
    const ok = fs.existsSync(program) && realPath(program) === expected;
    checks.push({
      status: ok ? 'ok' : 'stale',
      what: `kernelspec ${spec}`,
      detail: ok ? path.dirname(dir) : `${path.dirname(dir)} runs ${program}, not ${expected}`
    });
    if (spec === 'tslab' && ok) {
      checks.push(snapshotCheck(argv.map(String), env));
    }
  }
  return checks;
}

/** The doctor's line on the startup snapshot the tslab kernelspec's `argv` starts from. */
function snapshotCheck(argv: string[], env: NodeJS.ProcessEnv): ICheck {
  const what = 'tslab startup snapshot';
  const snapshot = snapshotFor(argv, env);
  if (snapshot === null) {
    const why = snapshotEnabled(env)
      ? 'the kernelspec runs another node than this nbx'
      : 'NBX_TSLAB_SNAPSHOT=0';
    return { status: 'ok', what, detail: `not used (${why}): tslab compiles its start each time` };
  }
  const why = failedReason(snapshot.blob);
  if (why !== null) {
    return {
      status: 'stale',
      what,
      detail: `could not be built (${why}), so tslab starts without it; remove ${failedMarker(snapshot.blob)} to build it again`
    };
  }
  if (fs.existsSync(snapshot.blob)) {
    return { status: 'ok', what, detail: snapshot.blob };
  }
  return {
    status: 'ok',
    what,
    detail: `not built yet (${snapshot.blob}): the next tslab start builds it in the background`
  };
}
