/**
 * What the setup installs into the project's venv for JupyterLab: the service kernel's
 * kernelspec, and the prebuilt extension, which JupyterLab lists as enabled (so it loads
 * without a rebuild of JupyterLab).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';

import { PACKAGE_ROOT } from '../base/paths';
import { SERVICE_KERNEL_NAME, SERVICE_MAIN } from './install';

const VENV = path.join(PACKAGE_ROOT, '.venv');

describe('the setup', () => {
  it('installed the service kernelspec into the venv, marked as a service', () => {
    const file = path.join(VENV, 'share', 'jupyter', 'kernels', SERVICE_KERNEL_NAME, 'kernel.json');
    const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      argv: string[];
      metadata: { nbx?: { service?: boolean } };
    };
    assert.equal(spec.argv[1], SERVICE_MAIN);
    assert.equal(spec.metadata.nbx?.service, true);
  });

  it('made JupyterLab load the prebuilt extension: enabled and OK', () => {
    const listing = spawnSync(path.join(VENV, 'bin', 'jupyter'), ['labextension', 'list'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' }
    });
    assert.equal(listing.status, 0, listing.stderr);
    // Written to stderr (with colours) by `jupyter labextension list`.
    const text = stripVTControlCharacters(listing.stdout + listing.stderr);
    assert.match(text, /^\s*jupyterlab-nbx v\d+\.\d+\.\d+ enabled OK/m, text);
  });
});
