/**
 * Large test directories removed straight from the disk. Galata's own teardown deletes a
 * test's `tmpPath` file by file through the contents API: for a runs root of hundreds of
 * generated runs that outlasts the test's timeout on a loaded machine, failing a test that
 * passed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { test, type IJupyterLabPageFixture } from '@jupyterlab/galata';

/** The Jupyter Server's root directory, as the page's config says ('' when it does not). */
export function serverRoot(page: IJupyterLabPageFixture): Promise<string> {
  return page.evaluate(() => {
    const data = document.getElementById('jupyter-config-data')?.textContent ?? '{}';
    return String((JSON.parse(data) as { serverRoot?: string }).serverRoot ?? '');
  });
}

/** After each test of the calling file, removes `<tmpPath>/<name>` for each of `names`. */
export function removeAfterEach(names: string[]): void {
  test.afterEach(async ({ page, tmpPath }) => {
    const root = await serverRoot(page);
    if (root === '') {
      return;
    }
    for (const name of names) {
      fs.rmSync(path.join(root, tmpPath, name), {
        recursive: true,
        force: true,
        maxRetries: 5
      });
    }
  });
}
