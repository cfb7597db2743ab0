/**
 * Records keyed by names people choose (flags, labels): `__proto__`, `constructor` or
 * `toString` are names like any other here, never those of `Object.prototype`.
 */

/** Sets `record[key]` as an own property (assignment to `__proto__` would set the prototype). */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true
  });
}

/** `record[key]` when it is an own property, else undefined (never an inherited member). */
export function getOwn<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
