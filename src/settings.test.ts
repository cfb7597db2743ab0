import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PREFERENCES, NbxSettings, readPreferences } from './settings';

describe('readPreferences', () => {
  it('reads the settings of jupyterlab-nbx:plugin', () => {
    assert.deepEqual(
      readPreferences({
        runsRoot: '  experiments/.nbx ',
        refresh: 'manual',
        defaultGpus: '0,2',
        defaultParallel: 3.7
      }),
      { runsRoot: 'experiments/.nbx', live: false, defaultGpus: '0,2', defaultParallel: 3 }
    );
  });

  it('falls back to the defaults for what is missing or wrong', () => {
    assert.deepEqual(readPreferences({}), DEFAULT_PREFERENCES);
    assert.deepEqual(
      readPreferences({ runsRoot: 3, refresh: 'live', defaultGpus: null, defaultParallel: 0 }),
      DEFAULT_PREFERENCES
    );
  });
});

describe('readPreferences of Run on Slurm', () => {
  it('reads where runs go at first and the Slurm fields, as the dialog takes them', () => {
    const prefs = readPreferences({
      defaultRunOn: 'slurm',
      slurm: { partition: ' gpu ', time: '1:00:00', gpus: 1, cpus: 4, mem: '16G' }
    });
    assert.equal(prefs.defaultRunOn, 'slurm');
    assert.deepEqual(prefs.slurm, {
      partition: 'gpu',
      time: '1:00:00',
      slurmGpus: '1',
      cpus: '4',
      mem: '16G'
    });
  });

  it('leaves both out when not set (this machine, no fields filled in)', () => {
    const prefs = readPreferences({ defaultRunOn: 'local', slurm: {} });
    assert.equal(prefs.defaultRunOn, undefined);
    assert.equal(prefs.slurm, undefined);
    assert.equal(readPreferences({ slurm: 'gpu' }).slurm, undefined);
  });
});

describe('readPreferences standbyKernel', () => {
  it('says false only when the standby kernel is turned off', () => {
    assert.equal(readPreferences({ standbyKernel: false }).standbyKernel, false);
    assert.equal(readPreferences({ standbyKernel: true }).standbyKernel, undefined);
    assert.equal(readPreferences({}).standbyKernel, undefined);
  });
});

describe('NbxSettings', () => {
  it('is ready with the defaults without a setting registry', async () => {
    const settings = new NbxSettings(null);
    await settings.ready;
    assert.deepEqual(settings.current, DEFAULT_PREFERENCES);
  });
});
