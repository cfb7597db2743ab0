/**
 * Which columns sort lowest first: losses and errors by their key's words, whatever the
 * sigil or statistic; everything else numeric highest first; text A to Z.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultDirection, lowerIsBetter } from './direction';

describe('lowerIsBetter', () => {
  it('finds losses and errors as words of the key', () => {
    for (const name of [
      '#loss',
      '#loss:max',
      '#val_loss:min',
      '#train/loss',
      '#valloss',
      '#trainLoss',
      '#eval_error_rate',
      '#top1-err',
      '#wer',
      '#val/perplexity',
      '#rmse',
      '#step_latency',
      'duration'
    ]) {
      assert.equal(lowerIsBetter(name), true, name);
    }
  });

  it('leaves other keys highest first, even when a word only contains a loss word', () => {
    for (const name of [
      '#acc',
      '#val_acc:max',
      '#f1',
      '#bleu',
      '#lr',
      '#errata_count',
      '#glossary',
      '=lr'
    ]) {
      assert.equal(lowerIsBetter(name), false, name);
    }
  });
});

describe('defaultDirection', () => {
  it('sorts losses ascending, other numbers and times descending, text ascending', () => {
    assert.equal(defaultDirection('#loss', 'number'), 'ascending');
    assert.equal(defaultDirection('#acc', 'number'), 'descending');
    assert.equal(defaultDirection('started', 'time'), 'descending');
    assert.equal(defaultDirection('label', 'string'), 'ascending');
    assert.equal(defaultDirection('tags', 'list'), 'ascending');
    assert.equal(defaultDirection('=augment', 'bool'), 'ascending');
  });
});
