/**
 * Work for when the browser is idle after JupyterLab started (loading a panel's modules
 * ahead of its first use), at the latest 2 s later.
 */
export function whenIdle(callback: () => void): void {
  if (typeof window.requestIdleCallback === 'function') {
    window.requestIdleCallback(callback, { timeout: 2000 });
  } else {
    window.setTimeout(callback, 500);
  }
}
