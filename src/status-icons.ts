/**
 * Run statuses as people see them: translated names and icons (the Runs panel's tab icon
 * too). Colours come from the theme through CSS (style/runs.css).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import {
  checkIcon,
  circleEmptyIcon,
  closeIcon,
  historyIcon,
  LabIcon,
  stopIcon
} from '@jupyterlab/ui-components';
import type { RunStatus } from '../kernel/src/contract/run';

/** The Runs panel's icon: a list with a play mark. */
export const runsIcon = new LabIcon({
  name: 'nbx:runs',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<path d="M3 5h12v2H3zM3 11h9v2H3zM3 17h9v2H3zM15 10.5v9l7-4.5z"/>' +
    '</g></svg>'
});

/** A running run: an open ring, spun by CSS (`nbx-mod-spin`). */
export const spinnerIcon = new LabIcon({
  name: 'nbx:spinner',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 16 16">' +
    '<g class="jp-icon-brand1" fill="none" stroke="#1976d2" stroke-width="2" stroke-linecap="round">' +
    '<path d="M8 2a6 6 0 1 1-6 6"/>' +
    '</g></svg>'
});

/** The translated name of a status. */
export function statusLabel(trans: TranslationBundle, status: RunStatus): string {
  switch (status) {
    case 'staged':
      return trans.__('staged');
    case 'queued':
      return trans.__('queued');
    case 'running':
      return trans.__('running');
    case 'completed':
      return trans.__('completed');
    case 'error':
      return trans.__('error');
    case 'terminated':
      return trans.__('terminated');
  }
}

/** The icon of a status. */
export function statusIcon(status: RunStatus): LabIcon {
  switch (status) {
    case 'staged':
      return circleEmptyIcon;
    case 'queued':
      return historyIcon;
    case 'running':
      return spinnerIcon;
    case 'completed':
      return checkIcon;
    case 'error':
      return closeIcon;
    case 'terminated':
      return stopIcon;
  }
}

/**
 * A status icon element: `<span class="nbx-StatusIcon nbx-mod-<status>">` with the
 * status's icon (spinning while running) and its name as tooltip.
 */
export function statusElement(trans: TranslationBundle, status: RunStatus): HTMLElement {
  const node = statusIcon(status).element({
    tag: 'span',
    className: `nbx-StatusIcon nbx-mod-${status}${status === 'running' ? ' nbx-mod-spin' : ''}`,
    title: statusLabel(trans, status)
  });
  node.setAttribute('role', 'img');
  node.setAttribute('aria-label', statusLabel(trans, status));
  return node;
}
