/**
 * What the nbx kernel server says about itself: the `kernel_info_reply`
 * content and the reply to code it is asked to execute.
 */
import { nbxVersion } from '../base/paths';
import { PROTOCOL_VERSION, type Content } from './messages';

/** Printed (on stdout) for every `execute_request`: the service kernel runs no code. */
export const SERVICE_EXECUTE_TEXT =
  'This is the nbx service kernel: it serves the nbx panels in JupyterLab and runs no code. ' +
  'Open a notebook with a TypeScript or Python kernel to run code.\n';

/** `kernel_info_reply` content of the nbx service kernel. */
export function nbxKernelInfo(version: string = nbxVersion()): Content {
  return {
    status: 'ok',
    protocol_version: PROTOCOL_VERSION,
    implementation: 'nbx',
    implementation_version: version,
    language_info: {
      name: 'nbx',
      version,
      mimetype: 'text/plain',
      file_extension: '.txt'
    },
    banner:
      `nbx service kernel ${version}: serves the nbx panels in JupyterLab (runs, ` +
      'scalars, compare) over comms; it runs no code.',
    help_links: [
      {
        text: 'Jupyter messaging protocol',
        url: 'https://jupyter-client.readthedocs.io/en/latest/messaging.html'
      }
    ],
    debugger: false
  };
}
