/**
 * node:crypto, loaded when first needed: loading it costs more than a warm `nbx runs`
 * spends on most of its modules, and listing never needs it.
 */
export function crypto(): typeof import('node:crypto') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:crypto') as typeof import('node:crypto');
}
