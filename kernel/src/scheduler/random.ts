/**
 * A small seedable pseudo-random generator for random searches and sampled grids.
 *
 * `Math.random()` cannot be seeded, and a batch must be reproducible from its recorded
 * seed: the same seed gives the same trials on every machine and Node version. The
 * generator is mulberry32 (32-bit state, period 2^32), fed through a splitmix32 hash of
 * the seed so that nearby seeds (1, 2, 3) start far apart. It is not cryptographic.
 */

import { randomInt } from 'node:crypto';

/** The largest seed accepted (seeds are integers in `[0, MAX_SEED]`). */
export const MAX_SEED = 0xffffffff;

/** A fresh seed for a batch run without `--seed`, to be recorded so it can be replayed. */
export function randomSeed(): number {
  return randomInt(MAX_SEED + 1);
}

/** splitmix32's finaliser: a well-mixed 32-bit hash of `x`. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A seeded generator; every method advances the same stream. */
export class SeededRandom {
  /** The seed this generator was created with. */
  readonly seed: number;
  private state: number;

  /** `seed`: an integer in `[0, MAX_SEED]` (see `randomSeed`). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
      throw new RangeError(`seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
    }
    this.seed = seed;
    this.state = mix32(seed);
  }

  /** The next 32 random bits, as an unsigned integer (mulberry32). */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in `[0, 1)` with 53 random bits (two draws). */
  float(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** An integer in `[0, n)`; `n` a positive safe integer. */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }

  /**
   * `k` distinct integers from `[0, n)`, ascending (Floyd's algorithm: `k` draws, memory
   * O(k), so `n` may be far larger than what could be listed). All of `[0, n)` when
   * `k >= n`.
   */
  sampleIndices(n: number, k: number): number[] {
    if (k >= n) {
      return Array.from({ length: n }, (_, i) => i);
    }
    const chosen = new Set<number>();
    for (let j = n - k; j < n; j++) {
      const t = this.below(j + 1);
      chosen.add(chosen.has(t) ? j : t);
    }
    return [...chosen].sort((a, b) => a - b);
  }
}
