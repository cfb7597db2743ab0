/**
 * Kernelspec discovery over temporary Jupyter data directories, and the
 * command line built from a spec.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { UserError } from '../base/errors';
import { tempDir } from '../testing/fixtures';
import {
  findKernelSpecs,
  getKernelSpec,
  jupyterDataPaths,
  kernelCommand,
  readKernelSpec,
  type IKernelSpec
} from './kernelspec';
import { PACKAGE_ROOT } from '../base/paths';

/** Writes `<dataDir>/kernels/<name>/kernel.json` (a string is written as is). */
function writeSpec(dataDir: string, name: string, json: unknown): string {
  const dir = path.join(dataDir, 'kernels', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'kernel.json'),
    typeof json === 'string' ? json : JSON.stringify(json)
  );
  return dir;
}

function spec(displayName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    argv: ['prog', '{connection_file}'],
    display_name: displayName,
    language: 'lang',
    ...extra
  };
}

/** Three data dirs (JUPYTER_PATH, JUPYTER_DATA_DIR, a venv) and a neutral cwd. */
function layout(): { env: NodeJS.ProcessEnv; cwd: string; jp: string; data: string; venv: string } {
  const root = tempDir('nbx-spec-');
  const jp = path.join(root, 'jupyter-path');
  const data = path.join(root, 'data');
  const venv = path.join(root, 'venv');
  const cwd = path.join(root, 'work');
  fs.mkdirSync(cwd);
  return {
    env: { JUPYTER_PATH: jp, JUPYTER_DATA_DIR: data, VIRTUAL_ENV: venv },
    cwd,
    jp,
    data,
    venv
  };
}

describe('jupyterDataPaths', () => {
  it('orders JUPYTER_PATH, data dir, active envs, cwd ancestors, nbx install, system', () => {
    const cwd = path.join(tempDir(), 'a', 'b');
    const env = {
      JUPYTER_PATH: ['/jp1', '', '/jp2'].join(path.delimiter),
      JUPYTER_DATA_DIR: '/data',
      VIRTUAL_ENV: '/venv',
      CONDA_PREFIX: '/conda'
    };
    const dirs = jupyterDataPaths({ env, cwd });
    assert.deepEqual(dirs.slice(0, 6), [
      '/jp1',
      '/jp2',
      '/data',
      '/venv/share/jupyter',
      '/conda/share/jupyter',
      path.join(cwd, '.venv', 'share', 'jupyter')
    ]);
    assert.equal(dirs[6], path.join(path.dirname(cwd), '.venv', 'share', 'jupyter'));
    assert.ok(dirs.includes('/.venv/share/jupyter'));
    assert.deepEqual(dirs.slice(-3), [
      path.join(PACKAGE_ROOT, '.venv', 'share', 'jupyter'),
      '/usr/local/share/jupyter',
      '/usr/share/jupyter'
    ]);
    assert.equal(new Set(dirs).size, dirs.length);
  });

  it('drops duplicates, keeping the first place', () => {
    const dirs = jupyterDataPaths({ env: { JUPYTER_PATH: '/usr/share/jupyter' }, cwd: '/' });
    assert.equal(dirs[0], '/usr/share/jupyter');
    assert.equal(dirs.filter(d => d === '/usr/share/jupyter').length, 1);
  });
});

describe('kernelspec discovery', () => {
  it('JUPYTER_PATH wins over JUPYTER_DATA_DIR, which wins over VIRTUAL_ENV', () => {
    const { env, cwd, jp, data, venv } = layout();
    const venvData = path.join(venv, 'share', 'jupyter');
    writeSpec(jp, 'nbxprec', spec('from JUPYTER_PATH'));
    writeSpec(data, 'nbxprec', spec('from JUPYTER_DATA_DIR'));
    writeSpec(venvData, 'nbxprec', spec('from VIRTUAL_ENV'));
    writeSpec(data, 'nbxprec2', spec('from JUPYTER_DATA_DIR'));
    writeSpec(venvData, 'nbxprec2', spec('from VIRTUAL_ENV'));
    writeSpec(venvData, 'nbxprec3', spec('from VIRTUAL_ENV'));

    const found = getKernelSpec('nbxprec', { env, cwd });
    assert.equal(found.displayName, 'from JUPYTER_PATH');
    assert.equal(found.resourceDir, path.join(jp, 'kernels', 'nbxprec'));
    assert.equal(getKernelSpec('nbxprec2', { env, cwd }).displayName, 'from JUPYTER_DATA_DIR');
    assert.equal(getKernelSpec('nbxprec3', { env, cwd }).displayName, 'from VIRTUAL_ENV');

    // Without JUPYTER_PATH the data dir wins; without both, the venv.
    const noPath = { ...env, JUPYTER_PATH: undefined };
    assert.equal(
      getKernelSpec('nbxprec', { env: noPath, cwd }).displayName,
      'from JUPYTER_DATA_DIR'
    );
    const venvOnly = { ...noPath, JUPYTER_DATA_DIR: path.join(cwd, 'empty') };
    assert.equal(getKernelSpec('nbxprec', { env: venvOnly, cwd }).displayName, 'from VIRTUAL_ENV');
  });

  it('earlier JUPYTER_PATH entries win over later ones; CONDA_PREFIX is searched', () => {
    const { env, cwd, jp } = layout();
    const jp2 = `${jp}-2`;
    const conda = path.join(cwd, 'conda');
    writeSpec(jp, 'nbxorder', spec('first'));
    writeSpec(jp2, 'nbxorder', spec('second'));
    writeSpec(jp2, 'nbxonly2', spec('second'));
    writeSpec(path.join(conda, 'share', 'jupyter'), 'nbxconda', spec('conda'));
    const both = { ...env, JUPYTER_PATH: [jp, jp2].join(path.delimiter), CONDA_PREFIX: conda };
    assert.equal(getKernelSpec('nbxorder', { env: both, cwd }).displayName, 'first');
    assert.equal(getKernelSpec('nbxonly2', { env: both, cwd }).displayName, 'second');
    assert.equal(getKernelSpec('nbxconda', { env: both, cwd }).displayName, 'conda');
  });

  it('finds a .venv/share/jupyter in an ancestor of cwd without any environment', () => {
    const root = tempDir('nbx-proj-');
    const far = writeSpec(path.join(root, '.venv', 'share', 'jupyter'), 'nbxvenv', spec('far'));
    writeSpec(path.join(root, '.venv', 'share', 'jupyter'), 'nbxfar', spec('far'));
    const deep = path.join(root, 'a', 'b', 'c');
    fs.mkdirSync(deep, { recursive: true });
    const found = getKernelSpec('nbxvenv', { env: {}, cwd: deep });
    assert.equal(found.resourceDir, far);
    assert.equal(found.displayName, 'far');
    // The nearer ancestor's .venv wins over a farther one.
    writeSpec(path.join(root, 'a', '.venv', 'share', 'jupyter'), 'nbxvenv', spec('near'));
    assert.equal(getKernelSpec('nbxvenv', { env: {}, cwd: deep }).displayName, 'near');
    assert.equal(getKernelSpec('nbxfar', { env: {}, cwd: deep }).displayName, 'far');
    // Not visible from a directory outside the project.
    assert.throws(() => getKernelSpec('nbxvenv', { env: {}, cwd: tempDir() }), UserError);
  });

  it('skips invalid kernel.json files, falling through to a valid one further down', () => {
    const { env, cwd, jp, data } = layout();
    const invalid: Record<string, unknown> = {
      nbxbadjson: '{"argv": ["prog", ',
      nbxnull: 'null',
      nbxarray: '[1, 2]',
      nbxnoargv: { display_name: 'x', language: 'x' },
      nbxemptyargv: { argv: [], display_name: 'x' },
      nbxnumargv: { argv: ['prog', 3], display_name: 'x' },
      nbxstrargv: { argv: 'prog {connection_file}', display_name: 'x' }
    };
    for (const [name, json] of Object.entries(invalid)) {
      writeSpec(jp, name, json);
    }
    fs.mkdirSync(path.join(jp, 'kernels', 'nbxnofile'));
    writeSpec(data, 'nbxbadjson', spec('valid fallback'));

    const specs = findKernelSpecs({ env, cwd });
    for (const name of [...Object.keys(invalid), 'nbxnofile']) {
      if (name !== 'nbxbadjson') {
        assert.equal(specs.has(name), false, name);
      }
    }
    assert.equal(readKernelSpec(path.join(jp, 'kernels', 'nbxnofile')), null);
    assert.equal(readKernelSpec(path.join(jp, 'kernels', 'nbxnull')), null);
    assert.equal(specs.get('nbxbadjson')?.displayName, 'valid fallback');
    assert.equal(specs.get('nbxbadjson')?.resourceDir, path.join(data, 'kernels', 'nbxbadjson'));
    // The real kernels are still there.
    assert.ok(specs.has('python3'));
  });

  it('matches names case-insensitively; the first spelling found wins', () => {
    const { env, cwd, jp, data } = layout();
    const dir = writeSpec(jp, 'NbxMixed', spec('mixed'));
    writeSpec(data, 'nbxmixed', spec('lower'));
    for (const name of ['nbxmixed', 'NBXMIXED', 'NbxMixed', 'nBxMiXeD']) {
      const found = getKernelSpec(name, { env, cwd });
      assert.equal(found.displayName, 'mixed', name);
      assert.equal(found.name, 'nbxmixed');
      assert.equal(found.resourceDir, dir);
    }
  });

  it('an unknown name is a UserError listing the installed kernels', () => {
    const { env, cwd, jp, data } = layout();
    writeSpec(jp, 'nbxalpha', spec('a'));
    writeSpec(data, 'NbxBeta', spec('b'));
    let caught: unknown;
    try {
      getKernelSpec('nope', { env, cwd });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof UserError, String(caught));
    assert.equal(caught.exitCode, 2);
    assert.match(caught.message, /^no kernel named 'nope'; installed kernels: .*\(choose one/);
    const listed = caught.message.replace(/.*installed kernels: (.*) \(choose.*/, '$1').split(', ');
    for (const name of ['nbxalpha', 'nbxbeta', 'python3', 'tslab']) {
      assert.ok(listed.includes(name), `${name} in ${caught.message}`);
    }
    assert.deepEqual(listed, [...listed].sort());
    assert.ok(!caught.message.includes('\n'));
  });

  it('finds the project venv kernels python3 and tslab by default', () => {
    const python = getKernelSpec('python3');
    assert.equal(python.language, 'python');
    assert.equal(python.interruptMode, 'signal');
    assert.equal(getKernelSpec('tslab').language, 'typescript');
  });
});

describe('readKernelSpec', () => {
  it('reads display_name, language, interrupt_mode and string env values', () => {
    const data = tempDir();
    const message = readKernelSpec(
      writeSpec(
        data,
        'Msg',
        spec('Msg kernel', { interrupt_mode: 'message', env: { A: '1', B: 2 } })
      )
    );
    assert.equal(message?.name, 'msg');
    assert.equal(message?.displayName, 'Msg kernel');
    assert.equal(message?.language, 'lang');
    assert.equal(message?.interruptMode, 'message');
    assert.deepEqual(message?.env, { A: '1' });
    assert.equal(
      readKernelSpec(writeSpec(data, 'sig', spec('s', { interrupt_mode: 'signal' })))
        ?.interruptMode,
      'signal'
    );
    const bare = readKernelSpec(writeSpec(data, 'bare', { argv: ['prog'] }));
    assert.equal(bare?.interruptMode, 'signal');
    assert.equal(bare?.displayName, 'bare');
    assert.equal(bare?.language, '');
    assert.deepEqual(bare?.env, {});
    assert.equal(
      readKernelSpec(writeSpec(data, 'odd', spec('o', { interrupt_mode: 'telepathy' })))
        ?.interruptMode,
      'signal'
    );
  });
});

describe('kernelCommand', () => {
  function specAt(prefix: string, argv: string[]): IKernelSpec {
    const dir = writeSpec(path.join(prefix, 'share', 'jupyter'), 'k', { argv });
    const read = readKernelSpec(dir);
    assert.ok(read);
    return read;
  }

  it('substitutes {connection_file} and {resource_dir} everywhere they occur', () => {
    const prefix = tempDir();
    const s = specAt(prefix, [
      '/opt/bin/kernel',
      '-f',
      '{connection_file}',
      '--again={connection_file}',
      '--logo={resource_dir}/logo.png',
      '{resource_dir}'
    ]);
    assert.deepEqual(kernelCommand(s, '/run/kernel-1.json'), [
      '/opt/bin/kernel',
      '-f',
      '/run/kernel-1.json',
      '--again=/run/kernel-1.json',
      `--logo=${s.resourceDir}/logo.png`,
      s.resourceDir
    ]);
  });

  it('maps a bare python to <prefix>/bin/python when that exists', () => {
    const prefix = tempDir();
    const argv = ['-m', 'ipykernel_launcher', '-f', '{connection_file}'];
    // No <prefix>/bin/python yet: left for PATH lookup.
    assert.equal(kernelCommand(specAt(prefix, ['python', ...argv]), '/c.json')[0], 'python');
    fs.mkdirSync(path.join(prefix, 'bin'));
    fs.writeFileSync(path.join(prefix, 'bin', 'python'), '', { mode: 0o755 });
    const python = path.join(prefix, 'bin', 'python');
    for (const program of ['python', 'python3', 'python3.11']) {
      assert.deepEqual(kernelCommand(specAt(prefix, [program, ...argv]), '/c.json'), [
        python,
        '-m',
        'ipykernel_launcher',
        '-f',
        '/c.json'
      ]);
    }
    for (const program of ['/usr/bin/python', 'pythonw', 'ipython', 'node']) {
      assert.equal(kernelCommand(specAt(prefix, [program, ...argv]), '/c.json')[0], program);
    }
  });
});
