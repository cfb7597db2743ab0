import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_SEED, SeededRandom, randomSeed } from './random';

function draws(seed: number, count: number): number[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, () => rng.float());
}

test('the same seed gives the same stream; another seed another one', () => {
  assert.deepEqual(draws(42, 20), draws(42, 20));
  assert.notDeepEqual(draws(42, 20), draws(43, 20));
  assert.notDeepEqual(draws(0, 20), draws(1, 20));
});

test('the stream is pinned: recorded seeds replay identically across versions', () => {
  // Pinned values: changing the generator would silently change every recorded batch.
  const rng = new SeededRandom(12345);
  assert.deepEqual(
    [rng.nextUint32(), rng.nextUint32(), rng.nextUint32()],
    [312932933, 3728925741, 1933414012]
  );
});

test('floats are in [0, 1) and roughly uniform', () => {
  const rng = new SeededRandom(7);
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 20000; i++) {
    const x = rng.float();
    assert.ok(x >= 0 && x < 1);
    buckets[Math.floor(x * 10)]++;
  }
  for (const count of buckets) {
    assert.ok(count > 1700 && count < 2300, `bucket count ${count}`);
  }
});

test('below(n) covers 0..n-1 only', () => {
  const rng = new SeededRandom(3);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const k = rng.below(5);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 5);
    seen.add(k);
  }
  assert.equal(seen.size, 5);
});

test('sampleIndices gives k distinct sorted indices, all when k >= n', () => {
  const rng = new SeededRandom(11);
  const picked = rng.sampleIndices(1000, 50);
  assert.equal(picked.length, 50);
  assert.equal(new Set(picked).size, 50);
  assert.deepEqual(
    picked,
    [...picked].sort((a, b) => a - b)
  );
  assert.ok(picked.every(i => i >= 0 && i < 1000));
  assert.deepEqual(rng.sampleIndices(4, 9), [0, 1, 2, 3]);
  // Huge ranges work without listing them.
  assert.equal(new SeededRandom(1).sampleIndices(2 ** 40, 3).length, 3);
});

test('seeds are validated; fresh seeds are in range', () => {
  assert.throws(() => new SeededRandom(-1), RangeError);
  assert.throws(() => new SeededRandom(1.5), RangeError);
  assert.throws(() => new SeededRandom(MAX_SEED + 1), RangeError);
  for (let i = 0; i < 20; i++) {
    const seed = randomSeed();
    assert.ok(Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED);
  }
});
