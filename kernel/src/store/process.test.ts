import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { isProcessAlive, parseProcStat, processStartToken } from './process';

const hasProc = fs.existsSync('/proc/self/stat');

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  assert.equal(child.status, 0);
  return child.pid;
}

test('parseProcStat splits after the last parenthesis of the command name', () => {
  const rest = Array.from({ length: 50 }, (_, i) => String(i + 3));
  rest[0] = 'S';
  const stat = parseProcStat(`1234 (we ird) (na me)) ${rest.join(' ')}\n`);
  assert.deepEqual(stat, { state: 'S', startTime: '22' });
  assert.equal(parseProcStat('garbage'), null);
});

test('this process is alive, with and without its start token', { skip: !hasProc }, () => {
  const token = processStartToken(process.pid);
  assert.match(token ?? '', /^\d+$/);
  assert.equal(processStartToken(process.pid), token);
  assert.ok(isProcessAlive(process.pid));
  assert.ok(isProcessAlive(process.pid, token));
  assert.ok(isProcessAlive(process.pid, null));
});

test('a live pid with a different start token is a reused pid: dead', { skip: !hasProc }, () => {
  assert.ok(!isProcessAlive(process.pid, '1'));
});

test('an exited process is dead and has no token', () => {
  const pid = deadPid();
  assert.ok(!isProcessAlive(pid));
  assert.equal(processStartToken(pid), null);
});

test('invalid pids are never alive', () => {
  for (const pid of [0, -1, 1.5, Number.NaN]) {
    assert.ok(!isProcessAlive(pid));
  }
});

test("pid 1 (another user's process: EPERM or alive) counts as alive", () => {
  assert.ok(isProcessAlive(1));
});

test('a zombie counts as dead', { skip: !hasProc }, async () => {
  // The background child exits after its parent has exec'd into `sleep`, which never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30'], { stdio: 'pipe' });
  try {
    const zombie = await new Promise<number>(resolve => {
      parent.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim())));
    });
    for (let i = 0; i < 500; i++) {
      if (parseProcStat(fs.readFileSync(`/proc/${zombie}/stat`, 'utf8'))?.state === 'Z') {
        break;
      }
      await new Promise(r => setTimeout(r, 10));
    }
    assert.equal(parseProcStat(fs.readFileSync(`/proc/${zombie}/stat`, 'utf8'))?.state, 'Z');
    assert.ok(!isProcessAlive(zombie));
  } finally {
    parent.kill('SIGKILL');
  }
});

test(
  'a command name with spaces and parentheses still yields a token',
  { skip: !hasProc },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-proc-'));
    const link = path.join(dir, 'a) (b c');
    fs.symlinkSync(fs.realpathSync('/bin/sleep'), link);
    const child = spawn(link, ['30'], { stdio: 'ignore' });
    try {
      await new Promise(r => child.once('spawn', r));
      const token = processStartToken(child.pid ?? -1);
      assert.match(token ?? '', /^\d+$/);
      assert.ok(isProcessAlive(child.pid ?? -1, token));
    } finally {
      child.kill('SIGKILL');
    }
  }
);
