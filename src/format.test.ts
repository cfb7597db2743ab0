import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatDuration, formatNumber, formatWhen, shortId } from './format';

describe('format', () => {
  it('shortens a run id to its first 8 characters', () => {
    assert.equal(shortId('0123456789abcdef0123456789abcdef'), '01234567');
  });

  it('writes durations as the terminal does, from seconds', () => {
    assert.equal(formatDuration(null), '');
    assert.equal(formatDuration(Number.NaN), '');
    assert.equal(formatDuration(-3), '0.0s');
    assert.equal(formatDuration(0.42), '0.4s');
    assert.equal(formatDuration(42.4), '42s');
    assert.equal(formatDuration(3 * 60 + 5), '3m05s');
    assert.equal(formatDuration(2 * 3600 + 4 * 60 + 59), '2h04m');
  });

  it('writes metric values as the terminal does: 4 significant digits', () => {
    assert.equal(formatNumber(null), '');
    assert.equal(formatNumber(Number.NaN), '');
    assert.equal(formatNumber(0), '0');
    assert.equal(formatNumber(1200), '1200');
    assert.equal(formatNumber(0.123456), '0.1235');
    assert.equal(formatNumber(0.00012), '0.00012');
    assert.equal(formatNumber(0.0000123), '1.23e-5');
    assert.equal(formatNumber(1234567.5), '1.235e+6');
  });

  it('writes sizes in B, KiB and MiB', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(64 * 1024), '64 KiB');
    assert.equal(formatBytes(1.5 * 1024 * 1024), '1.5 MiB');
  });

  it('writes no start time for a run not started', () => {
    assert.equal(formatWhen(null), '');
  });

  it('writes a start time of today without the date', () => {
    const now = new Date(2026, 5, 1, 15, 0, 0).getTime();
    const earlier = new Date(2026, 5, 1, 9, 30, 5).getTime();
    const lastYear = new Date(2025, 5, 1, 9, 30, 5).getTime();
    assert.match(formatWhen(earlier, now), /30.*05/);
    assert.match(formatWhen(lastYear, now), /2025/);
  });
});
