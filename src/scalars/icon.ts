/**
 * The Scalars panel's icon: a line chart.
 */
import { LabIcon } from '@jupyterlab/ui-components';

export const scalarsIcon = new LabIcon({
  name: 'nbx:scalars',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<path d="M3 3h2v16h16v2H3z"/>' +
    '<path d="M6.3 15.3l4.2-5 3.5 3 5.3-7 1.6 1.2-6.5 8.6-3.5-3-2.9 3.5z"/>' +
    '</g></svg>'
});
