/**
 * The floor `nbx run` is measured against: start a kernel, execute a
 * notebook's code cells, shut the kernel down — with nothing recorded.
 *
 * Usage: node bare-exec.js NOTEBOOK
 */
import * as path from 'path';
import { readNotebook } from '../notebook/io';
import { sourceText } from '../notebook/nbformat';
import { getKernelSpec } from '../protocol/kernelspec';
import { KernelManager } from '../protocol/manager';

async function main(file: string): Promise<void> {
  const nb = readNotebook(file);
  const name = (nb.metadata.kernelspec as { name: string }).name;
  const spec = getKernelSpec(name, { cwd: path.dirname(file) });
  const km = await KernelManager.start({ spec, cwd: path.dirname(file), env: process.env });
  for (const cell of nb.cells) {
    if (cell.cell_type !== 'code') {
      continue;
    }
    let idle!: () => void;
    const idleSeen = new Promise<void>(resolve => (idle = resolve));
    const { reply } = km.client.request(
      'shell',
      'execute_request',
      { code: sourceText(cell.source), silent: false, store_history: true, allow_stdin: false },
      msg => {
        if (msg.header.msg_type === 'status' && msg.content.execution_state === 'idle') {
          idle();
        }
      }
    );
    const r = await reply;
    await idleSeen;
    if (r.content.status !== 'ok') {
      throw new Error(`cell failed: ${JSON.stringify(r.content)}`);
    }
  }
  await km.shutdown();
}

main(process.argv[2]).catch(err => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 1;
});
