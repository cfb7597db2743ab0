/** Pure parts of the Slurm client: sbatch's command line, the script, Slurm's answers, statuses. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UserError } from '../../base/errors';
import {
  expandTaskIds,
  parseFields,
  parseSacctJobs,
  parseScontrolJobs,
  type ISlurmJob
} from './jobs';
import { jobScript, parseJobId, sbatchArgs } from './sbatch';
import { STOP_MARK, slurmStatus } from './status';
import { renderTemplate, shellQuote } from './template';

describe('sbatchArgs', () => {
  test('every option, in a fixed order', () => {
    assert.deepEqual(
      sbatchArgs({
        jobName: 'lr sweep',
        workdir: '/shared/runs/a b',
        output: '/shared/runs/a b/slurm.out',
        error: '/shared/runs/a b/slurm.err',
        time: '1:30:00',
        partition: 'gpu',
        gpus: 2,
        cpusPerTask: 4,
        mem: '16G',
        array: { size: 4, parallel: 2 }
      }),
      [
        '--job-name=lr sweep',
        '--chdir=/shared/runs/a b',
        '--output=/shared/runs/a b/slurm.out',
        '--error=/shared/runs/a b/slurm.err',
        '--time=1:30:00',
        '--partition=gpu',
        '--gres=gpu:2',
        '--cpus-per-task=4',
        '--mem=16G',
        '--array=0-3%2'
      ]
    );
  });

  test('GPUs as --gpus, typed, and an array without a limit', () => {
    assert.deepEqual(sbatchArgs({ gpus: 1, gpuType: 'a100', gpuFlag: 'gpus' }), ['--gpus=a100:1']);
    assert.deepEqual(sbatchArgs({ gpus: 1, gpuType: 'a100' }), ['--gres=gpu:a100:1']);
    assert.deepEqual(sbatchArgs({ array: { size: 1 }, time: 5, mem: 500 }), [
      '--time=5',
      '--mem=500',
      '--array=0-0'
    ]);
  });

  test('values Slurm would refuse are one-line errors', () => {
    for (const options of [
      { time: '1h' },
      { time: 0 },
      { gpus: 0 },
      { cpusPerTask: 1.5 },
      { mem: '4 GB' },
      { array: { size: 4, parallel: 0 } }
    ]) {
      assert.throws(() => sbatchArgs(options), UserError, JSON.stringify(options));
    }
    assert.throws(() => sbatchArgs({ time: '1h' }), /Slurm time limit '1h': give minutes or MM:SS/);
  });
});

describe('job script', () => {
  test('the default script execs the quoted command', () => {
    assert.equal(
      jobScript({ command: ['node', '/opt/nbx cli.js', "it's"] }),
      "#!/bin/bash\nexec node '/opt/nbx cli.js' 'it'\\''s'\n"
    );
  });

  test("a site template: placeholders become quoted words, ${…} is the shell's", () => {
    const template =
      '#!/bin/bash\n#SBATCH --qos=normal\nmodule load cuda/12\nsource ${HOME}/venv/bin/activate\ncd {workdir}\necho {job_name} {run_id}\nsrun {command}\n';
    assert.equal(
      jobScript(
        { command: ['node', 'nbx.js', 'exec', 'run 1'], template, values: { run_id: 'abc' } },
        { jobName: 'my run', workdir: '/shared/r' }
      ),
      "#!/bin/bash\n#SBATCH --qos=normal\nmodule load cuda/12\nsource ${HOME}/venv/bin/activate\ncd /shared/r\necho 'my run' abc\nsrun node nbx.js exec 'run 1'\n"
    );
  });

  test('an unknown placeholder, or none for the command, is an error naming the template', () => {
    assert.throws(
      () =>
        renderTemplate('{command} {rundir}', { command: ['x'], workdir: '/w' }, 'template_gpu.sh'),
      {
        message:
          'template_gpu.sh: unknown placeholder {rundir} (known: command, workdir; write ${rundir} for a shell variable)'
      }
    );
    assert.throws(
      () => renderTemplate('echo hi', { command: ['x'] }),
      /no \{command\} placeholder/
    );
    // Inherited names are not placeholders.
    assert.throws(
      () => renderTemplate('{constructor} {command}', { command: ['x'] }),
      /unknown placeholder \{constructor\}/
    );
  });

  test('shellQuote leaves safe words bare', () => {
    assert.deepEqual(['a.b/c-1', '', 'a b', '$x', 'lr=0.1'].map(shellQuote), [
      'a.b/c-1',
      "''",
      "'a b'",
      "'$x'",
      'lr=0.1'
    ]);
  });
});

describe('Slurm answers', () => {
  test('sbatch --parsable: the id, with or without a cluster', () => {
    assert.equal(parseJobId('42\n'), '42');
    assert.equal(parseJobId('42;cluster1\n'), '42');
    assert.throws(() => parseJobId('Submitted batch job 42'), /not a job id/);
  });

  test('scontrol fields: values with spaces end where the next Key= begins', () => {
    const f = parseFields(
      'JobId=7 JobName=lr sweep 1 UserId=me(1000) JobState=PENDING Reason=Priority Comment=(null) NtasksPerN:B:S:C=0:0:*:* Power='
    );
    assert.equal(f.get('JobName'), 'lr sweep 1');
    assert.equal(f.get('JobState'), 'PENDING');
    assert.equal(f.get('NtasksPerN:B:S:C'), '0:0:*:*');
    assert.equal(f.get('Power'), '');
  });

  test("scontrol jobs: an array's pending remainder is one record per task", () => {
    const out = [
      'JobId=12 ArrayJobId=11 ArrayTaskId=0 JobName=wrap JobState=RUNNING Reason=None ExitCode=0:0 Partition=debug NodeList=vm Comment=(null)',
      'JobId=11 ArrayJobId=11 ArrayTaskId=2-3%2 JobName=wrap JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0 Partition=debug NodeList= Comment=(null)',
      'JobId=9 JobName=x JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0 Partition=debug NodeList=vm Comment=nbx:stop  Power= ',
      ''
    ].join('\n');
    assert.deepEqual(
      parseScontrolJobs(out).map(j => [j.id, j.arrayTaskId, j.state, j.reason, j.nodes, j.comment]),
      [
        ['11_0', 0, 'RUNNING', '', 'vm', ''],
        ['11_2', 2, 'PENDING', 'JobArrayTaskLimit', '', ''],
        ['11_3', 3, 'PENDING', 'JobArrayTaskLimit', '', ''],
        ['9', undefined, 'FAILED', 'NonZeroExitCode', 'vm', 'nbx:stop']
      ]
    );
  });

  test('array task ids', () => {
    assert.deepEqual(expandTaskIds('3'), [3]);
    assert.deepEqual(expandTaskIds('0-3%2'), [0, 1, 2, 3]);
    assert.deepEqual(expandTaskIds('1,4-8:2'), [1, 4, 6, 8]);
  });

  test('sacct lines: "CANCELLED by 0" is CANCELLED, array tasks split', () => {
    const jobs = parseSacctJobs(
      '5|wrap|CANCELLED by 0|0:15|debug|vm|None|\n6_1|t|COMPLETED|0:0|debug|None assigned|None|nbx:stop\n'
    );
    assert.deepEqual(
      jobs.map(j => [j.id, j.arrayJobId, j.arrayTaskId, j.state, j.nodes, j.comment]),
      [
        ['5', undefined, undefined, 'CANCELLED', 'vm', ''],
        ['6_1', '6', 1, 'COMPLETED', '', 'nbx:stop']
      ]
    );
  });
});

describe('slurmStatus', () => {
  const job = (state: string, more: Partial<ISlurmJob> = {}): ISlurmJob => ({
    id: '1',
    name: 'n',
    state,
    reason: '',
    exitCode: '0:0',
    partition: 'debug',
    nodes: 'vm',
    comment: '',
    ...more
  });
  const status = (j: ISlurmJob): [string, string | undefined] => {
    const s = slurmStatus(j);
    return [s.status, s.reason];
  };

  test("the issue's table", () => {
    assert.deepEqual(status(job('PENDING', { reason: 'Priority' })), ['queued', 'Priority']);
    assert.deepEqual(status(job('RUNNING')), ['running', undefined]);
    assert.deepEqual(status(job('COMPLETING')), ['running', undefined]);
    assert.deepEqual(status(job('COMPLETED')), ['completed', undefined]);
    assert.deepEqual(status(job('FAILED', { exitCode: '1:0', reason: 'NonZeroExitCode' })), [
      'error',
      'exit code 1'
    ]);
    assert.deepEqual(status(job('FAILED', { exitCode: '0:9' })), ['error', 'signal 9']);
    assert.deepEqual(status(job('NODE_FAIL')), ['error', 'node failure (vm)']);
    assert.deepEqual(status(job('OUT_OF_MEMORY', { exitCode: '0:125' })), [
      'error',
      'out of memory'
    ]);
    assert.deepEqual(status(job('TIMEOUT', { exitCode: '0:15' })), ['error', 'time limit']);
    assert.deepEqual(status(job('CANCELLED', { exitCode: '0:15' })), ['terminated', undefined]);
    assert.deepEqual(status(job('PREEMPTED')), ['terminated', undefined]);
  });

  test('a job nbx stopped reads terminated however it ended; while it runs, running', () => {
    assert.deepEqual(status(job('FAILED', { exitCode: '0:2', comment: STOP_MARK })), [
      'terminated',
      undefined
    ]);
    assert.deepEqual(status(job('RUNNING', { comment: STOP_MARK })), ['running', undefined]);
  });
});
