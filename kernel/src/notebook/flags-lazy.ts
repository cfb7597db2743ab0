/**
 * The TypeScript side of flags, loaded on first use: requiring the
 * TypeScript compiler costs about 300 ms, which Python notebooks never need
 * to pay and a `nbx run` of a TypeScript notebook pays once.
 */
type TypeScriptFlags = typeof import('./flags-typescript');

let loaded: TypeScriptFlags | undefined;

export function typeScriptFlags(): TypeScriptFlags {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('./flags-typescript') as TypeScriptFlags;
  return loaded;
}
