/**
 * A full disk, for real: the runs root on a small tmpfs filled to the last byte. A run
 * that hits it ends as `error: disk full: <path>` with its kernel shut down; starting a
 * run on it, or annotating one, says so in one line and leaves nothing behind. Mounting
 * needs root (CAP_SYS_ADMIN); elsewhere the tests skip and say why.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { code, cliEnv, nbx, notebook, pidAlive, tempDir, writeNotebook } from '../testing/fixtures';
import { assertOneLine, readMeta, runIds } from '../testing/cli-project';

let mountPoint: string | null = null;
let skipReason = '';

/** Mounts a 4 MiB tmpfs, or records why it cannot. */
function mountSmallDisk(): void {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    skipReason = 'mounting a tmpfs needs root on Linux';
    return;
  }
  const dir = tempDir('nbx-disk-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], {
    encoding: 'utf8'
  });
  if (r.status !== 0) {
    skipReason = `cannot mount a tmpfs here: ${(r.stderr || String(r.error)).trim()}`;
    return;
  }
  mountPoint = dir;
}

/** Writes zeros to `file` until the disk is full. */
function fill(file: string): void {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) {
      fs.writeSync(fd, chunk);
    }
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    fs.closeSync(fd);
  }
}

/** A fresh runs root on the small disk, emptied first. */
function freshHome(t: TestContext): string | null {
  if (mountPoint === null) {
    t.skip(skipReason);
    return null;
  }
  for (const entry of fs.readdirSync(mountPoint)) {
    fs.rmSync(path.join(mountPoint, entry), { recursive: true, force: true });
  }
  return path.join(mountPoint, 'home');
}

describe('a full disk', () => {
  before(mountSmallDisk);
  after(() => {
    if (mountPoint !== null) {
      spawnSync('umount', [mountPoint]);
    }
  });

  it('refuses to start a run in one line, exit 2, leaving no run directory', t => {
    const home = freshHome(t);
    if (home === null) {
      return;
    }
    const dir = tempDir();
    writeNotebook(dir, 'nb.ipynb', notebook('python3', [code('print(1)')]));
    fs.mkdirSync(home);
    fill(path.join(home, 'filler'));
    const r = nbx(['run', 'nb.ipynb'], { cwd: dir, env: cliEnv(home) });
    assertOneLine(r, 2, /^nbx: disk full: /);
    assert.deepEqual(runIds(home), [], 'no run directory left behind');
    const detached = nbx(['run', 'nb.ipynb', '--detach'], { cwd: dir, env: cliEnv(home) });
    assertOneLine(detached, 2, /^nbx: disk full: /);
    assert.deepEqual(runIds(home), []);
  });

  it('makes nbx tag, label and comment say so in one line', t => {
    const home = freshHome(t);
    if (home === null) {
      return;
    }
    const dir = tempDir();
    const env = cliEnv(home);
    writeNotebook(dir, 'nb.ipynb', notebook('python3', [code('print(1)')]));
    assert.equal(nbx(['run', 'nb.ipynb', '-q'], { cwd: dir, env }).status, 0);
    fill(path.join(home, 'filler'));
    for (const args of [
      ['tag', '1', '+best'],
      ['label', '1', 'baseline'],
      ['comment', '1', 'too slow']
    ]) {
      assertOneLine(nbx(args, { cwd: dir, env }), 'failed', /^nbx: disk full: .*meta\.json/);
    }
    const [id] = runIds(home);
    assert.deepEqual(readMeta(home, id).tags, [], 'the record is as it was');
  });

  it('ends a run that fills it as error: disk full, with its kernel shut down', t => {
    const home = freshHome(t);
    if (home === null) {
      return;
    }
    const dir = tempDir();
    // The cell fills the disk from the run directory (its working directory), prints,
    // and gives the space back only once it is interrupted: the record can then be written.
    writeNotebook(
      dir,
      'fill.ipynb',
      notebook('python3', [
        code(
          [
            'import os, time',
            'try:',
            "    with open('fill.bin', 'wb') as f:",
            '        while True:',
            "            f.write(b'\\0' * 65536)",
            'except OSError:',
            '    pass',
            'try:',
            "    print('filled', flush=True)",
            '    time.sleep(120)',
            'finally:',
            "    os.remove('fill.bin')"
          ].join('\n')
        ),
        code('print("never")')
      ])
    );
    const r = nbx(['run', 'fill.ipynb', '-q'], { cwd: dir, env: cliEnv(home) });
    assert.equal(r.status, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|ENOSPC|\n\s+at /);
    assert.match(r.stderr, /^run [0-9a-f]{8} error in .*: disk full: /m);
    const [id] = runIds(home);
    const meta = readMeta(home, id);
    assert.equal(meta.status, 'error');
    assert.match(meta.error ?? '', new RegExp(`^disk full: ${path.join(home, 'runs', id)}/`));
    assert.ok(meta.stopped);
    assert.ok(meta.kernelPid && !pidAlive(meta.kernelPid), 'the kernel is shut down');
    assert.equal(meta.progress.done, 1, 'no later cell ran');
  });

  it('keeps the runner alive when even the final record cannot be written', t => {
    const home = freshHome(t);
    if (home === null) {
      return;
    }
    const dir = tempDir();
    writeNotebook(
      dir,
      'fill.ipynb',
      notebook('python3', [
        code(
          [
            'import time',
            'try:',
            "    with open('fill.bin', 'wb') as f:",
            '        while True:',
            "            f.write(b'\\0' * 65536)",
            'except OSError:',
            '    pass',
            "print('filled', flush=True)",
            'time.sleep(120)'
          ].join('\n')
        )
      ])
    );
    const r = nbx(['run', 'fill.ipynb', '-q'], { cwd: dir, env: cliEnv(home) });
    assert.equal(r.status, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    assert.match(r.stderr, /^run [0-9a-f]{8} error in .*: disk full: /m);
    const [id] = runIds(home);
    const show = nbx(['show', id, '--json'], { cwd: dir, env: cliEnv(home) });
    assert.equal(show.status, 0, show.stderr);
    assert.equal((JSON.parse(show.stdout) as { status: string }).status, 'terminated');
  });
  it("ends a run as error: disk full when the kernel's connection file cannot be written", t => {
    const full = freshHome(t);
    if (full === null) {
      return;
    }
    const dir = tempDir();
    const home = path.join(dir, 'home');
    writeNotebook(dir, 'nb.ipynb', notebook('python3', [code('print(1)')]));
    fs.mkdirSync(full);
    fill(path.join(full, 'filler'));
    const env = cliEnv(home, { JUPYTER_RUNTIME_DIR: path.join(full, 'runtime') });
    const r = nbx(['run', 'nb.ipynb', '-q'], { cwd: dir, env });
    assert.equal(r.status, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    const [id] = runIds(home);
    assert.equal(readMeta(home, id).status, 'error');
    assert.match(readMeta(home, id).error ?? '', /^disk full: .*runtime\/kernel-nbx-.*\.json$/);
  });
});
