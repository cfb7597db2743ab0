/**
 * `nbx install`, `nbx uninstall` and `nbx doctor` as a person runs them: the real CLI
 * writing into real prefixes and fresh Python venvs, the installed tslab kernelspec
 * running a notebook, and this checkout's setup (`nbx` in .venv/bin, the API stub).
 * The packed artefact in a fresh environment is scripts/isolated-test.sh's part.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PACKAGE_ROOT } from '../../base/paths';
import { executedText, readMeta, runIds } from '../../testing/cli-project';
import {
  cliEnv,
  code,
  nbx,
  notebook,
  tempDir,
  waitFor,
  writeNotebook
} from '../../testing/fixtures';

const VENV = path.join(PACKAGE_ROOT, '.venv');
const VENV_PYTHON = path.join(VENV, 'bin', 'python');
const PACKAGE_NAME = 'jupyterlab-nbx';

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** A fresh venv without pip (enough for its sys.prefix); returns its python. */
function freshVenv(dir: string): string {
  execFileSync('python3', ['-m', 'venv', '--without-pip', path.join(dir, 'venv')]);
  return path.join(dir, 'venv', 'bin', 'python');
}

/** An environment whose Jupyter searches only `dataDir` (then the system directories). */
function isolatedEnv(dir: string, dataDir: string): NodeJS.ProcessEnv {
  return cliEnv(path.join(dir, 'home'), {
    JUPYTER_PATH: dataDir,
    JUPYTER_DATA_DIR: path.join(dir, 'user-data'),
    JUPYTER_CONFIG_DIR: path.join(dir, 'config'),
    VIRTUAL_ENV: '',
    PATH: `${path.join(VENV, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`
  });
}

/** A temporary directory with nbx installed into its `prefix` (Jupyter data in `data`). */
function installedPrefix(): { dir: string; prefix: string; data: string } {
  const dir = tempDir();
  const prefix = path.join(dir, 'prefix');
  const data = path.join(prefix, 'share', 'jupyter');
  assert.equal(nbx(['install', '--prefix', prefix], { cwd: dir }).status, 0);
  return { dir, prefix, data };
}

describe('nbx install', () => {
  it('--prefix writes the tslab, jslab and service kernelspecs and copies the extension', () => {
    const dir = tempDir();
    const prefix = path.join(dir, 'prefix');
    const r = nbx(['install', '--prefix', prefix], { cwd: dir, env: process.env });
    assert.equal(r.status, 0, r.stderr);
    const data = path.join(prefix, 'share', 'jupyter');
    const tslab = readJson(path.join(data, 'kernels', 'tslab', 'kernel.json'));
    // tslab behind nbx's code-cache launcher (kernel/bin/tslab-kernel.js).
    const tslabBin = path.join(PACKAGE_ROOT, 'kernel', 'bin', 'tslab-kernel.js');
    assert.deepEqual(tslab.argv, [
      process.execPath,
      tslabBin,
      'kernel',
      '--config-path',
      '{connection_file}'
    ]);
    assert.equal(tslab.language, 'typescript');
    const jslab = readJson(path.join(data, 'kernels', 'jslab', 'kernel.json'));
    assert.equal((jslab.argv as string[]).at(-1), '--js');
    const service = readJson(path.join(data, 'kernels', 'nbx-service', 'kernel.json'));
    assert.equal(
      (service.argv as string[])[1],
      path.join(PACKAGE_ROOT, 'kernel', 'lib', 'service', 'main.js')
    );
    const ext = path.join(data, 'labextensions', PACKAGE_NAME);
    assert.ok(!fs.lstatSync(ext).isSymbolicLink(), 'a copy, not a link');
    assert.equal(readJson(path.join(ext, 'package.json')).name, PACKAGE_NAME);
    assert.ok(fs.readdirSync(path.join(ext, 'static')).some(f => f.startsWith('remoteEntry.')));
    assert.deepEqual(readJson(path.join(ext, 'install.json')).packageName, PACKAGE_NAME);
    assert.match(r.stdout, /installed \(--prefix .*\):\n {2}kernelspec tslab/);
  });

  it('the installed tslab kernelspec runs a notebook that imports nbx', () => {
    const dir = tempDir();
    const data = path.join(dir, 'prefix', 'share', 'jupyter');
    assert.equal(nbx(['install', '--prefix', path.join(dir, 'prefix')], { cwd: dir }).status, 0);
    // $JUPYTER_PATH comes first in the kernelspec search: the installed tslab spec serves.
    const env = isolatedEnv(dir, data);
    const nb = writeNotebook(
      dir,
      'api.ipynb',
      notebook('tslab', [code('import * as nbx from "nbx";\nnbx.log({ loss: 0.5 }, 1);')])
    );
    const r = nbx(['run', nb, '--json', '--quiet'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const meta = JSON.parse(r.stdout) as { status: string; scalars: Record<string, unknown> };
    assert.equal(meta.status, 'completed');
    assert.ok(meta.scalars.loss);
  });

  it('--sys-prefix / --python install into that Python environment', () => {
    const dir = tempDir();
    const python = freshVenv(dir);
    const r = nbx(['install', '--python', python], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const data = path.join(dir, 'venv', 'share', 'jupyter');
    assert.ok(fs.existsSync(path.join(data, 'kernels', 'tslab', 'kernel.json')));
    assert.ok(fs.existsSync(path.join(data, 'labextensions', PACKAGE_NAME, 'package.json')));
    const env = {
      ...process.env,
      PATH: `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ''}`
    };
    const again = nbx(['install', '--sys-prefix', '--json'], { cwd: dir, env });
    assert.equal(again.status, 0, again.stderr);
    const changes = JSON.parse(again.stdout) as { what: string; path: string }[];
    assert.deepEqual(
      changes.map(c => c.path),
      [
        path.join(data, 'kernels', 'tslab'),
        path.join(data, 'kernels', 'jslab'),
        path.join(data, 'kernels', 'nbx-service'),
        path.join(data, 'labextensions', PACKAGE_NAME)
      ]
    );
  });

  it('--user installs into $JUPYTER_DATA_DIR', () => {
    const dir = tempDir();
    const user = path.join(dir, 'user');
    const r = nbx(['install'], { cwd: dir, env: { ...process.env, JUPYTER_DATA_DIR: user } });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(user, 'kernels', 'nbx-service', 'kernel.json')));
  });

  it('refuses conflicting options and a Python that does not run, in one line, exit 2', () => {
    const dir = tempDir();
    for (const args of [
      ['--user', '--prefix', dir],
      ['--sys-prefix', '--prefix', dir],
      ['--prefix', dir, '--python', 'python3'],
      ['--python', path.join(dir, 'no-python')]
    ]) {
      const r = nbx(['install', ...args], { cwd: dir });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^nbx: .+\n$/);
      assert.equal(r.stdout, '');
    }
  });
});

describe('nbx uninstall', () => {
  it('removes what install added and leaves a tslab kernelspec it did not write', () => {
    const { dir, prefix, data } = installedPrefix();
    const r = nbx(['uninstall', '--prefix', prefix], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(path.join(data, 'kernels')), []);
    assert.deepEqual(fs.readdirSync(path.join(data, 'labextensions')), []);
    assert.match(r.stdout, /removed .*\n.*kernelspec tslab/);

    const foreign = path.join(data, 'kernels', 'tslab');
    fs.mkdirSync(foreign, { recursive: true });
    fs.writeFileSync(
      path.join(foreign, 'kernel.json'),
      JSON.stringify({ argv: ['tslab', 'kernel'], display_name: 'TypeScript', language: 'ts' })
    );
    const again = nbx(['uninstall', '--prefix', prefix], { cwd: dir });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /nothing of nbx's to remove/);
    assert.ok(fs.existsSync(path.join(foreign, 'kernel.json')));
  });
});

describe('nbx doctor', () => {
  it('reports each part with where it is, and exits 0 when all are in place', () => {
    const { dir, data } = installedPrefix();
    const env = isolatedEnv(dir, data);
    const r = nbx(['doctor', '--python', VENV_PYTHON], { cwd: dir, env });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const what of ['zeromq', 'tslab', 'nbx on the PATH', 'jupyterlab']) {
      assert.match(r.stdout, new RegExp(`^ {2}ok +${what} `, 'm'));
    }
    assert.match(r.stdout, new RegExp(`ok +labextension ${PACKAGE_NAME} +${data}`));
    assert.match(r.stdout, new RegExp(`ok +kernelspec nbx-service +${data}`));
    assert.match(r.stdout, /everything is in place/);
  });

  it('names what is missing or stale and exits 1', () => {
    const { dir, data } = installedPrefix();
    const spec = path.join(data, 'kernels', 'tslab', 'kernel.json');
    const json = readJson(spec);
    fs.writeFileSync(spec, JSON.stringify({ ...json, argv: ['/gone/tslab', 'kernel'] }));
    const env = isolatedEnv(dir, data);
    const r = nbx(['doctor', '--python', VENV_PYTHON, '--json'], { cwd: dir, env });
    assert.equal(r.status, 1, r.stderr);
    const checks = JSON.parse(r.stdout) as { status: string; what: string; detail: string }[];
    const tslab = checks.find(c => c.what === 'kernelspec tslab');
    assert.equal(tslab?.status, 'stale');
    assert.match(tslab?.detail ?? '', /runs \/gone\/tslab/);

    // A Python without Jupyter: jupyterlab is missing.
    const bare = freshVenv(dir);
    const noLab = nbx(['doctor', '--python', bare], { cwd: dir, env });
    assert.equal(noLab.status, 1);
    assert.match(noLab.stdout, /^ {2}missing +jupyterlab /m);
    assert.match(noLab.stdout, /missing or stale/);
  });
});

describe('nbx doctor on the tslab startup snapshot', () => {
  it('says where it is or that it is not built yet, and why a build failed (exit 1)', () => {
    const { dir, data } = installedPrefix();
    const env = { ...isolatedEnv(dir, data), NBX_CODE_CACHE_DIR: path.join(dir, 'cache') };
    const snapshot = (extra: NodeJS.ProcessEnv = {}): [number | null, string, string] => {
      const r = nbx(['doctor', '--python', VENV_PYTHON, '--json'], {
        cwd: dir,
        env: { ...env, ...extra }
      });
      const checks = JSON.parse(r.stdout) as { status: string; what: string; detail: string }[];
      const check = checks.find(c => c.what === 'tslab startup snapshot');
      assert.ok(check, r.stdout);
      return [r.status, check.status, check.detail];
    };
    const [status, state, detail] = snapshot();
    assert.deepEqual([status, state], [0, 'ok']);
    const blob =
      /^not built yet \((.+\.blob)\): the next tslab start builds it/.exec(detail)?.[1] ?? '';
    assert.ok(blob.startsWith(path.join(dir, 'cache')), detail);

    fs.mkdirSync(path.dirname(blob), { recursive: true });
    fs.writeFileSync(
      `${blob}.failed`,
      "nbx: tslab's startup snapshot: node --build-snapshot failed\n"
    );
    const [failedStatus, failedState, why] = snapshot();
    assert.deepEqual([failedStatus, failedState], [1, 'stale']);
    assert.equal(
      why,
      `could not be built (node --build-snapshot failed), so tslab starts without it; remove ${blob}.failed to build it again`
    );

    fs.rmSync(`${blob}.failed`);
    fs.writeFileSync(blob, '');
    assert.deepEqual(snapshot(), [0, 'ok', blob]);
    assert.deepEqual(snapshot({ NBX_TSLAB_SNAPSHOT: '0' }), [
      0,
      'ok',
      'not used (NBX_TSLAB_SNAPSHOT=0): tslab compiles its start each time'
    ]);
  });
});

describe('the setup', () => {
  it('links .venv/bin/nbx: `nbx` runs from the PATH of an activated venv', () => {
    const link = path.join(VENV, 'bin', 'nbx');
    assert.equal(fs.realpathSync(link), path.join(PACKAGE_ROOT, 'kernel', 'bin', 'path', 'nbx'));
    const r = spawnSync('bash', ['-c', `source ${VENV}/bin/activate && command -v nbx && nbx -V`], {
      cwd: tempDir(),
      encoding: 'utf8'
    });
    assert.equal(r.status, 0, r.stderr);
    const pkg = readJson(path.join(PACKAGE_ROOT, 'package.json'));
    assert.equal(r.stdout, `${link}\n${String(pkg.version)}\n`);
  });

  it('starts the CLI and its runners without NODE_EXTRA_CA_CERTS, the kernels of runs with it', async () => {
    const dir = tempDir();
    const home = path.join(dir, 'home');
    // Node warns at start about a CA file it cannot load: nbx's processes must not have tried.
    const ca = path.join(dir, 'no-such-ca.pem');
    writeNotebook(
      dir,
      'env.ipynb',
      notebook('python3', [
        code(
          'import os\n' +
            "print(repr(os.environ.get('NODE_EXTRA_CA_CERTS')), repr(os.environ.get('NBX_EXTRA_CA_CERTS')))"
        )
      ])
    );
    const nbxAsTyped = (args: string[]): ReturnType<typeof spawnSync> =>
      spawnSync(path.join(VENV, 'bin', 'nbx'), args, {
        cwd: dir,
        env: cliEnv(home, { NODE_EXTRA_CA_CERTS: ca }),
        encoding: 'utf8',
        timeout: 120_000
      });
    const r = nbxAsTyped(['run', 'env.ipynb']);
    assert.equal(r.status, 0, String(r.stderr));
    assert.doesNotMatch(String(r.stderr), /extra certs/);
    const [first] = runIds(home);
    assert.equal(executedText(home, first), `'${ca}' None\n`);

    // A runner started in the background (as the service starts runs) is started the same way.
    const detached = nbxAsTyped(['run', 'env.ipynb', '--detach', '--quiet']);
    assert.equal(detached.status, 0, String(detached.stderr));
    const id = await waitFor(() => runIds(home).find(i => i !== first), 30_000, 'the run');
    await waitFor(
      () => (['completed', 'error'].includes(readMeta(home, id).status) ? true : undefined),
      120_000,
      'the detached run to finish'
    );
    assert.equal(readMeta(home, id).status, 'completed');
    assert.doesNotMatch(
      fs.readFileSync(path.join(home, 'runs', id, 'kernel.log'), 'utf8'),
      /extra certs/
    );
    assert.equal(executedText(home, id), `'${ca}' None\n`);
  });

  it('puts the `nbx` API stub in examples/, not in the top node_modules npm manages', () => {
    assert.ok(!fs.existsSync(path.join(PACKAGE_ROOT, 'node_modules', 'nbx')));
    const stub = path.join(PACKAGE_ROOT, 'examples', 'node_modules', 'nbx');
    const r = spawnSync(
      process.execPath,
      ['-e', 'console.log(typeof require("nbx").log, require.resolve("nbx"))'],
      { cwd: path.join(PACKAGE_ROOT, 'examples'), encoding: 'utf8' }
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `function ${path.join(stub, 'index.js')}\n`);
  });

  it('names the package so that it is not an unrelated npm package, keeping the `nbx` command', () => {
    const pkg = readJson(path.join(PACKAGE_ROOT, 'package.json'));
    assert.equal(pkg.name, PACKAGE_NAME);
    assert.deepEqual(pkg.bin, { nbx: 'kernel/bin/path/nbx' });
    const lab = readJson(path.join(PACKAGE_ROOT, 'labextension', 'package.json'));
    assert.equal(lab.name, PACKAGE_NAME);
    const link = path.join(VENV, 'share', 'jupyter', 'labextensions', PACKAGE_NAME);
    assert.equal(fs.readlinkSync(link), path.join(PACKAGE_ROOT, 'labextension'));
  });
});
