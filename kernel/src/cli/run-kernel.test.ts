/**
 * The nbx service kernel is JupyterLab's link to nbx, not a kernel to run notebooks in:
 * `nbx run` refuses it with one line, and no list of kernels offers it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findKernelSpecs, runKernelSpecs } from '../protocol/kernelspec';
import { SERVICE_KERNEL_NAME } from '../service/install';
import { code, nbx, notebook, writeNotebook } from '../testing/fixtures';
import { assertOneLine, cliProject, runIds } from '../testing/cli-project';

describe('the nbx service kernel as a run kernel', () => {
  it('is installed, but not among the kernels runs can use', () => {
    assert.ok(findKernelSpecs().get(SERVICE_KERNEL_NAME)?.service, 'the setup installs it');
    const names = [...runKernelSpecs().keys()];
    assert.ok(names.includes('python3') && names.includes('tslab'), names.join(', '));
    assert.ok(!names.includes(SERVICE_KERNEL_NAME), names.join(', '));
  });

  it('is refused by nbx run in one line, and left out of the unknown-kernel list', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'nb.ipynb', notebook('python3', [code('print("ran")')]));
    const service = nbx(['run', 'nb.ipynb', '--kernel', SERVICE_KERNEL_NAME], { cwd: dir, env });
    assertOneLine(
      service,
      2,
      /^nbx: kernel 'nbx-service' is the nbx service kernel, which runs no notebooks; kernels to run in: .*python3.*tslab/
    );
    assert.doesNotMatch(service.stderr, /in: .*nbx-service/);
    const unknown = nbx(['run', 'nb.ipynb', '--kernel', 'cobol'], { cwd: dir, env });
    assertOneLine(unknown, 2, /^nbx: no kernel named 'cobol'; installed kernels: .*python3/);
    assert.doesNotMatch(unknown.stderr, /nbx-service/);

    // A notebook that names the service kernel, and a sweep of it, are refused the same way.
    const named = notebook('python3', [code('x = 1', ['parameters'])]);
    named.metadata.kernelspec = { name: SERVICE_KERNEL_NAME, display_name: 'nbx service' };
    writeNotebook(dir, 'service.ipynb', named);
    for (const args of [
      ['run', 'service.ipynb'],
      ['run', 'service.ipynb', 'x=[1,2]']
    ]) {
      assertOneLine(nbx(args, { cwd: dir, env }), 2, /is the nbx service kernel/);
    }
    assert.deepEqual(runIds(home), [], 'nothing written');
  });
});
