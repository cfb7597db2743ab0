/**
 * tslab's startup snapshot, with the installed kernelspec and real kernels: the first start
 * builds it in the background, the next starts from it and compiles exactly as a kernel
 * without it does (Node's globals, the es2022 library, type errors), a snapshot that does
 * not load gives way to the start without it (nbx's own start of it, then the relay's),
 * and the kernel started from it goes with its launcher (interrupts reach it; SIGKILL of
 * the launcher kills it). nbx starts its kernels from the snapshot itself, without the
 * launcher's relay; Jupyter's start of the kernelspec goes through the relay.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import {
  listProcesses,
  pidAlive,
  processArgv,
  tempDir,
  waitFor,
  within
} from '../testing/fixtures';
import { getKernelSpec } from './kernelspec';
import { KernelManager } from './manager';
import { str, type IMessage } from './messages';
import {
  failedMarker,
  pruneSnapshots,
  snapshotPlan,
  touchSnapshot,
  tslabCacheDir
} from './tslab-snapshot';

const TSLAB_DIR = path.dirname(require.resolve('tslab/package.json'));
const BUILD_SCRIPT = path.join(__dirname, 'tslab-snapshot-build.js');
/**
 * Cells using Node's globals, es2022 library features and error stacks, then a type error (last: tslab
 * aborts what it is sent in the 200 ms after an error).
 */
const CELLS = [
  'import { sep } from "path";\n' +
    'const buf: Buffer = Buffer.from("nbx");\n' +
    'const last = [1, 2, 3].at(-1);\n' +
    'const own = Object.hasOwn({ a: 1 }, "a");\n' +
    'const err = new Error("e", { cause: 7 });\n' +
    'console.log(buf.toString("hex"), last, own, err.cause, sep, typeof structuredClone, process.argv[1]);\n' +
    // Errors carry their stack (a process started from a snapshot lacks the limit).
    'console.log(Error.stackTraceLimit, /\\n\\s+at /.test(String(new Error("s").stack)));\n' +
    // The kernel's node flags, as a fork from it would get them: never the snapshot's.
    'console.log(JSON.stringify(process.execArgv));',
  'import { where } from "./helper";\nconsole.log(buf.length + (last ?? 0), where());',
  'const wrong: string = 42;'
];
const PREPARED =
  'console.log((globalThis as any)[Symbol.for("nbx.tslabSnapshot")]?.counts.hits ?? "none");';

interface IKernel {
  km: KernelManager;
  log: string;
}

/**
 * Starts the installed tslab kernelspec; `direct: false` runs its command as Jupyter does
 * (through the launcher's relay), where nbx starts the kernel from the snapshot itself.
 */
async function start(
  cacheDir: string,
  extra: NodeJS.ProcessEnv = {},
  direct = true
): Promise<IKernel> {
  const dir = tempDir('nbx-snapshot-');
  fs.writeFileSync(
    path.join(dir, 'helper.ts'),
    'export function where(): string { return "the kernel\'s directory"; }\n'
  );
  const log = path.join(dir, 'kernel.log');
  const fd = fs.openSync(log, 'w');
  try {
    const km = await KernelManager.start({
      spec: getKernelSpec('tslab'),
      cwd: dir,
      // Built at normal priority: at 19 beside busy processes the build takes minutes.
      env: {
        ...process.env,
        NBX_CODE_CACHE_DIR: cacheDir,
        NBX_TSLAB_SNAPSHOT_NICE: '0',
        ...extra
      },
      output: fd,
      startupTimeoutMs: 120_000,
      direct
    });
    return { km, log };
  } finally {
    fs.closeSync(fd);
  }
}

/** Runs `code`: what it printed so far, and its reply's status and error with all it printed. */
function execute(km: KernelManager, code: string): { printed(): string; done: Promise<string> } {
  const iopub: IMessage[] = [];
  // Outputs are complete at the kernel's idle status, which may come after the reply.
  let idle: () => void = () => undefined;
  const idleSeen = new Promise<void>(resolve => (idle = resolve));
  const { msgId, reply } = km.client.request(
    'shell',
    'execute_request',
    { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false },
    msg => {
      iopub.push(msg);
      if (msg.header.msg_type === 'status' && str(msg.content, 'execution_state') === 'idle') {
        idle();
      }
    }
  );
  const printed = (): string =>
    iopub
      .filter(m => m.header.msg_type === 'stream')
      .map(m => str(m.content, 'text'))
      .join('');
  // An aborted request may never see its idle status: then 5 s after the reply will do.
  const settled = reply.then(async answer => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([idleSeen, new Promise(resolve => (timer = setTimeout(resolve, 5000)))]);
    clearTimeout(timer);
    return answer;
  });
  const done = within(settled, 65_000, 'the execute_reply').then(answer => {
    km.client.release(msgId);
    const error = answer.content.status === 'error' ? ` ${str(answer.content, 'evalue')}` : '';
    return `${str(answer.content, 'status')}${error}: ${printed()}`;
  });
  return { printed, done };
}

function run(km: KernelManager, code: string): Promise<string> {
  return execute(km, code).done;
}

/** `run`, sent again while tslab still aborts what follows an error (for up to 10 s). */
async function runAfterError(km: KernelManager, code: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const result = await run(km, code);
    if (!result.startsWith('abort') || Date.now() > deadline) {
      return result;
    }
  }
}

/** Interrupts a long cell of `km`: it ends in an error, and the kernel runs the next cell. */
async function interruptsReachIt(km: KernelManager): Promise<void> {
  const long = execute(
    km,
    'console.log("waiting"); await new Promise(resolve => setTimeout(resolve, 600_000));'
  );
  await waitFor(() => (long.printed() ? true : undefined), 30_000, 'the cell running');
  await km.interrupt();
  assert.match(await long.done, /^error/);
  assert.equal(await runAfterError(km, 'console.log(1 + 1);'), 'ok: 2\n');
}

/**
 * The blob the test's kernels use: they start with no node flags, where this process (a
 * test runner's child) may have some, such as `--test-reporter`.
 */
function blobOf(cacheDir: string): string {
  const dir = tslabCacheDir(TSLAB_DIR, { NBX_CODE_CACHE_DIR: cacheDir });
  return snapshotPlan(TSLAB_DIR, dir, process.env, []).blob;
}

/** The kernel the launcher relays to (its child started from the snapshot), if any. */
function relayChild(pid: number): number | undefined {
  return listProcesses().find(p => p.ppid === pid && processArgv(p.pid).includes('--snapshot-blob'))
    ?.pid;
}

describe("tslab's startup snapshot", () => {
  const cacheDir = tempDir('nbx-snapshot-cache-');

  it('is built by the first start; the next starts from it and compiles as without it', async () => {
    const first = await start(cacheDir);
    const plain: string[] = [];
    try {
      assert.equal(relayChild(first.km.process.pid), undefined, 'no snapshot yet: no relay');
      assert.equal(await run(first.km, PREPARED), 'ok: none\n');
      for (const cell of CELLS) {
        plain.push(await run(first.km, cell));
      }
    } finally {
      await first.km.shutdown();
    }
    assert.match(fs.readFileSync(first.log, 'utf8'), /building it in the background/);
    assert.match(plain[0], /^ok: 6e6278 3 true 7 \/ function .*tslab-kernel\.js\n10 true\n\[\]\n$/);
    assert.equal(plain[1], "ok: 6 the kernel's directory\n", 'a module of the working directory');
    assert.match(plain[2], /^error .*Type 'number' is not assignable to type 'string'/);

    const blob = blobOf(cacheDir);
    await waitFor(() => fs.existsSync(blob) || undefined, 300_000, 'the snapshot built');
    // nbx starts the kernel from the snapshot itself: no relaying process.
    const second = await start(cacheDir);
    try {
      assert.equal(relayChild(second.km.process.pid), undefined, 'no relay');
      assert.deepEqual(processArgv(second.km.process.pid).slice(1, 3), ['--snapshot-blob', blob]);
      // The standard library's files came from the snapshot (149 with tslab 1.0.22).
      const hits = Number(/^ok: (\d+)/.exec(await run(second.km, PREPARED))?.[1]);
      assert.ok(hits > 100, `prepared files used: ${hits}`);
      const fromSnapshot: string[] = [];
      for (const cell of CELLS) {
        fromSnapshot.push(await run(second.km, cell));
      }
      assert.deepEqual(fromSnapshot, plain);
    } finally {
      await second.km.shutdown();
    }
    assert.doesNotMatch(fs.readFileSync(second.log, 'utf8'), /nbx:/, 'nothing to report');

    // The kernelspec's own command (Jupyter's start) relays to a kernel started from it.
    const third = await start(cacheDir, {}, false);
    try {
      const child = relayChild(third.km.process.pid);
      assert.ok(child !== undefined, 'the launcher relays to a kernel started from the snapshot');
      assert.deepEqual(processArgv(child).slice(1, 3), ['--snapshot-blob', blob]);
      assert.deepEqual(await run(third.km, CELLS[0]), plain[0]);
    } finally {
      await third.km.shutdown();
    }
  });

  it('goes with its launcher: interrupts reach it, SIGKILL of the launcher kills it', async () => {
    const { km } = await start(cacheDir, {}, false);
    const child = relayChild(km.process.pid);
    try {
      assert.ok(child !== undefined, 'started from the snapshot');
      await interruptsReachIt(km);
      process.kill(km.process.pid, 'SIGKILL');
      await waitFor(() => (pidAlive(child) ? undefined : true), 5_000, 'the kernel gone');
    } finally {
      await km.kill();
    }
  });

  it('started by nbx itself, takes interrupts like any kernel', async () => {
    const { km } = await start(cacheDir);
    try {
      assert.ok(processArgv(km.process.pid).includes('--snapshot-blob'), 'from the snapshot');
      await interruptsReachIt(km);
    } finally {
      await km.shutdown();
    }
  });

  it('that does not load gives way to the start without it, and is removed', async () => {
    const broken = tempDir('nbx-snapshot-cache-');
    const blob = blobOf(broken);
    fs.mkdirSync(path.dirname(blob), { recursive: true });
    fs.writeFileSync(blob, 'not a snapshot');
    const { km, log } = await start(broken);
    try {
      assert.equal(relayChild(km.process.pid), undefined, 'started without the snapshot');
      assert.match(await run(km, CELLS[0]), /^ok: 6e6278 3 true 7 /);
      assert.match(await run(km, CELLS[2]), /^error .*Type 'number' is not assignable/);
    } finally {
      await km.shutdown();
    }
    assert.equal(fs.existsSync(blob), false);
    assert.match(fs.readFileSync(log, 'utf8'), /did not start from tslab's startup snapshot/);
  });

  it('that could not be built is not tried again for its key; kernels start without it', async () => {
    const failing = tempDir('nbx-snapshot-cache-');
    const blob = blobOf(failing);
    fs.mkdirSync(path.dirname(blob), { recursive: true });
    // A build asked for a blob of another key fails, and says so beside that blob.
    const wrong = path.join(path.dirname(blob), 'startup-0-0.blob');
    const r = spawnSync(process.execPath, [BUILD_SCRIPT, TSLAB_DIR, wrong], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(fs.readFileSync(failedMarker(wrong), 'utf8'), /is not the snapshot of this tslab/);
    fs.renameSync(failedMarker(wrong), failedMarker(blob));
    const { km, log } = await start(failing);
    try {
      assert.match(await run(km, CELLS[0]), /^ok: 6e6278 3 true 7 /);
    } finally {
      await km.shutdown();
    }
    assert.match(fs.readFileSync(log, 'utf8'), /startup snapshot could not be built/);
    assert.deepEqual(
      fs.readdirSync(path.dirname(blob)).filter(f => f.startsWith('startup-')),
      [path.basename(failedMarker(blob))]
    );
  });
});

describe('the startup snapshots kept', () => {
  /** Empty stand-ins for snapshots, used on consecutive days in the order given. */
  function blobs(dir: string, names: string[]): void {
    names.forEach((name, day) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, '');
      const used = new Date(Date.UTC(2026, 0, 1 + day));
      fs.utimesSync(file, used, used);
    });
  }

  it('are the three used last, the one just built among them', () => {
    const dir = tempDir('nbx-snapshot-prune-');
    const names = ['a', 'b', 'c', 'd', 'e'].map(x => `startup-${x}-0.blob`);
    blobs(dir, names);
    fs.writeFileSync(path.join(dir, 'startup-f-0.blob.failed'), 'why');
    fs.writeFileSync(path.join(dir, 'typescript.js@1-2.v8'), '');
    // The oldest is the one just built: it stays with the two used last.
    assert.deepEqual(pruneSnapshots(dir, path.join(dir, names[0])).sort(), [names[1], names[2]]);
    assert.deepEqual(fs.readdirSync(dir).sort(), [
      names[0],
      names[3],
      names[4],
      'startup-f-0.blob.failed',
      'typescript.js@1-2.v8'
    ]);
    assert.deepEqual(pruneSnapshots(dir, path.join(dir, names[4])), [], 'nothing more to remove');
  });

  it('count a snapshot as used when a kernel starts from it', () => {
    const dir = tempDir('nbx-snapshot-prune-');
    const names = ['a', 'b', 'c', 'd'].map(x => `startup-${x}-0.blob`);
    blobs(dir, names);
    touchSnapshot(path.join(dir, names[0]));
    touchSnapshot(path.join(dir, 'startup-gone-0.blob'));
    assert.deepEqual(
      pruneSnapshots(dir, path.join(dir, names[3])),
      [names[1]],
      'the oldest unused'
    );
  });
});
