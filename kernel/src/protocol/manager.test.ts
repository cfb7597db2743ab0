/**
 * KernelManager and KernelProcess with real kernels (ipykernel, tslab) and
 * with commands that fail to be kernels: start, readiness, heartbeat,
 * interrupts (signal and message), death, shutdown and cleanup.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { pidAlive, processArgv, processGroup, tempDir, waitFor, within } from '../testing/fixtures';
import { readConnectionFile } from './connection';
import { getKernelSpec, kernelCommand, readKernelSpec, type IKernelSpec } from './kernelspec';
import { KernelDiedError, KernelManager } from './manager';
import { parentId, str, type IMessage } from './messages';

// Connection files of this file's kernels go here, so leftovers can be seen.
const RUNTIME_DIR = tempDir('nbx-runtime-');
process.env.JUPYTER_RUNTIME_DIR = RUNTIME_DIR;

function runtimeFiles(): string[] {
  return fs.existsSync(RUNTIME_DIR) ? fs.readdirSync(RUNTIME_DIR).sort() : [];
}

interface IExecution {
  /** Resolves when the kernel has started executing (execute_input published). */
  started: Promise<void>;
  /** Resolves with the reply once the kernel is idle again. */
  done: Promise<{ reply: IMessage; iopub: IMessage[] }>;
}

function execute(km: KernelManager, code: string): IExecution {
  const iopub: IMessage[] = [];
  let markStarted = (): void => undefined;
  let markIdle = (): void => undefined;
  const started = new Promise<void>(resolve => (markStarted = resolve));
  const idle = new Promise<void>(resolve => (markIdle = resolve));
  const { msgId, reply } = km.client.request(
    'shell',
    'execute_request',
    { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false },
    msg => {
      iopub.push(msg);
      if (msg.header.msg_type === 'execute_input') {
        markStarted();
      }
      if (msg.header.msg_type === 'status' && str(msg.content, 'execution_state') === 'idle') {
        markIdle();
      }
    }
  );
  const done = Promise.all([reply, idle]).then(([r]) => {
    km.client.release(msgId);
    return { reply: r, iopub };
  });
  return { started, done };
}

function streamText(iopub: IMessage[]): string {
  return iopub
    .filter(m => m.header.msg_type === 'stream')
    .map(m => str(m.content, 'text'))
    .join('');
}

/** A kernelspec in a temp dir, from `kernel.json` contents. */
function tempSpec(name: string, json: Record<string, unknown>): IKernelSpec {
  const dir = path.join(tempDir('nbx-kspec-'), name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(json));
  const spec = readKernelSpec(dir);
  assert.ok(spec);
  return spec;
}

/** Waits until the kernel's process group (kernel, watchdog, children) is empty. */
async function groupGone(pgid: number, ms = 3000): Promise<void> {
  await waitFor(
    () => (processGroup(pgid).length === 0 ? true : undefined),
    ms,
    `process group ${pgid} to be empty (left: ${processGroup(pgid).join(', ')})`
  );
}

/** The connection file a python kernel was started with (its `-f` argument). */
function connectionFileOf(pid: number): string {
  const argv = processArgv(pid);
  const file = argv[argv.indexOf('-f') + 1];
  assert.ok(file, `no -f in ${argv.join(' ')}`);
  return file;
}

/** Kills what a failed test may have left behind. */
function reap(pid: number | undefined): void {
  if (pid && pid > 0 && processGroup(pid).length) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

describe('python3 kernel, interrupt by signal', () => {
  let km: KernelManager;
  const cwd = tempDir('nbx-cwd-');

  before(async () => {
    km = await KernelManager.start({
      spec: getKernelSpec('python3'),
      cwd,
      env: { ...process.env, NBX_TEST_MARK: 'from-env' }
    });
  });
  after(async () => {
    await km.kill();
    reap(km.process.pid);
  });

  it('starts, answers kernel_info, and runs in cwd with its connection file', () => {
    assert.equal((km.info.language_info as { name: string }).name, 'python');
    assert.match(str(km.info, 'protocol_version'), /^5\./);
    assert.equal(km.spec.interruptMode, 'signal');
    const pid = km.process.pid;
    assert.ok(km.process.alive && pidAlive(pid));
    assert.equal(fs.realpathSync(fs.readlinkSync(`/proc/${pid}/cwd`)), fs.realpathSync(cwd));
    // The kernel leads its own process group; the watchdog shell is in it too.
    assert.ok(processGroup(pid).includes(pid));
    assert.ok(processGroup(pid).length >= 2, `group: ${processGroup(pid).join(', ')}`);
    const file = connectionFileOf(pid);
    assert.equal(path.dirname(file), RUNTIME_DIR);
    assert.deepEqual(readConnectionFile(file), km.connection);
    assert.equal(km.connection.kernel_name, 'python3');
  });

  it('heartbeat answers on an idle kernel', async () => {
    assert.equal(await km.client.heartbeat(2000), true);
  });

  it('executes code; output is routed to the request; the env reached the kernel', async () => {
    const { done } = execute(km, 'import os\nprint(os.environ["NBX_TEST_MARK"])\n6 * 7');
    const { reply, iopub } = await within(done, 10_000, 'execute');
    assert.equal(str(reply.content, 'status'), 'ok');
    assert.equal(streamText(iopub), 'from-env\n');
    const result = iopub.find(m => m.header.msg_type === 'execute_result');
    assert.deepEqual((result?.content.data as Record<string, string>)['text/plain'], '42');
    assert.ok(iopub.every(m => parentId(m) === reply.parent_header.msg_id));
  });

  it('SIGINT interrupts time.sleep(30) with KeyboardInterrupt; the kernel lives on', async () => {
    const { started, done } = execute(km, 'import time\ntime.sleep(30)');
    await within(started, 10_000, 'execution start');
    await new Promise(resolve => setTimeout(resolve, 200)); // inside sleep()
    const t0 = Date.now();
    await km.interrupt();
    const { reply } = await within(done, 5000, 'interrupted execute_reply');
    assert.equal(str(reply.content, 'status'), 'error');
    assert.equal(str(reply.content, 'ename'), 'KeyboardInterrupt');
    assert.ok(Date.now() - t0 < 5000);
    assert.ok(km.process.alive);
    const again = await within(execute(km, 'print("still here")').done, 10_000, 'execute');
    assert.equal(streamText(again.iopub), 'still here\n');
  });

  it('shutdown() leaves no process behind and removes the connection file', async () => {
    const pid = km.process.pid;
    const file = connectionFileOf(pid);
    assert.ok(fs.existsSync(file));
    const t0 = Date.now();
    await within(km.shutdown(), 8000, 'shutdown');
    assert.ok(!km.process.alive);
    // Exited on its own after shutdown_request: no signal was needed.
    assert.deepEqual(km.process.exitStatus, { code: 0, signal: null });
    assert.ok(Date.now() - t0 < 2000, `shutdown took ${Date.now() - t0} ms`);
    assert.ok(!pidAlive(pid));
    await groupGone(pid);
    assert.ok(!fs.existsSync(file));
    assert.ok(km.client.closed);
  });
});

describe('python3 kernel, interrupt by message', () => {
  let km: KernelManager;

  before(async () => {
    const python = getKernelSpec('python3');
    const spec = tempSpec('python3-msg', {
      argv: python.argv,
      display_name: 'Python 3 (message interrupts)',
      language: 'python',
      interrupt_mode: 'message',
      env: { NBX_SPEC_ENV: 'from-spec', NBX_TEST_MARK: 'spec-wins' }
    });
    assert.equal(spec.interruptMode, 'message');
    km = await KernelManager.start({
      spec,
      cwd: tempDir(),
      env: { ...process.env, NBX_TEST_MARK: 'from-env' }
    });
  });
  after(async () => {
    await km.kill();
    reap(km.process.pid);
  });

  it("merges the spec's env over the given env", async () => {
    const code = 'import os\nprint(os.environ["NBX_SPEC_ENV"], os.environ["NBX_TEST_MARK"])';
    const { iopub } = await within(execute(km, code).done, 10_000, 'execute');
    assert.equal(streamText(iopub), 'from-spec spec-wins\n');
  });

  it('interrupt_request on control interrupts time.sleep(30)', async () => {
    const control: IMessage[] = [];
    km.client.onUnclaimedIopub = msg => {
      if (msg.parent_header.msg_type === 'interrupt_request') {
        control.push(msg);
      }
    };
    const { started, done } = execute(km, 'import time\ntime.sleep(30)');
    await within(started, 10_000, 'execution start');
    await new Promise(resolve => setTimeout(resolve, 200));
    await km.interrupt();
    const { reply } = await within(done, 5000, 'interrupted execute_reply');
    assert.equal(str(reply.content, 'status'), 'error');
    assert.equal(str(reply.content, 'ename'), 'KeyboardInterrupt');
    // The kernel saw an interrupt_request (it reports its busy/idle for it on iopub).
    await waitFor(() => (control.length ? true : undefined), 2000, 'iopub for the request');
    assert.ok(km.process.alive);
  });
});

describe('kernel death', () => {
  it('is detected within 2 s of kill -9; cleanup still frees everything', async () => {
    const km = await KernelManager.start({
      spec: getKernelSpec('python3'),
      cwd: tempDir(),
      env: process.env
    });
    const pid = km.process.pid;
    try {
      const file = connectionFileOf(pid);
      const t0 = Date.now();
      process.kill(pid, 'SIGKILL');
      const err = await within(km.died, 2000, 'death detection');
      assert.ok(Date.now() - t0 < 2000);
      assert.ok(err instanceof KernelDiedError);
      assert.deepEqual(err.exit, { code: null, signal: 'SIGKILL' });
      assert.equal(err.message, 'kernel died (killed by SIGKILL)');
      assert.ok(!km.process.alive);
      assert.equal(await km.client.heartbeat(300), false);
      // The watchdog is still there (it guards the group) until the manager lets go.
      await km.shutdown();
      await groupGone(pid);
      assert.ok(!fs.existsSync(file));
    } finally {
      reap(pid);
    }
  });
});

describe('kernels that fail to start', () => {
  async function startFailure(
    spec: IKernelSpec,
    options: { cwd?: string; startupTimeoutMs?: number } = {}
  ): Promise<{ err: KernelDiedError; ms: number }> {
    const filesBefore = runtimeFiles();
    const t0 = Date.now();
    let caught: unknown;
    try {
      const km = await KernelManager.start({
        spec,
        cwd: options.cwd ?? tempDir(),
        env: process.env,
        startupTimeoutMs: options.startupTimeoutMs
      });
      await km.kill();
    } catch (err) {
      caught = err;
    }
    const ms = Date.now() - t0;
    assert.ok(caught instanceof KernelDiedError, `expected KernelDiedError, got ${String(caught)}`);
    // No connection file is left behind.
    assert.deepEqual(runtimeFiles(), filesBefore);
    return { err: caught, ms };
  }

  it('a program that does not exist: KernelDiedError naming it, at once', async () => {
    const spec = tempSpec('missing', { argv: ['/nonexistent/kernel', '{connection_file}'] });
    const { err, ms } = await startFailure(spec);
    assert.match(err.message, /'\/nonexistent\/kernel' was not found/);
    assert.match(err.message, /kernel 'missing'/);
    assert.deepEqual(err.exit, { code: 127, signal: null });
    assert.ok(ms < 5000, `${ms} ms`);
  });

  it('a program that is not executable: KernelDiedError saying so', async () => {
    const dir = tempDir();
    const program = path.join(dir, 'kernel.sh');
    fs.writeFileSync(program, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const spec = tempSpec('noexec', { argv: [program, '{connection_file}'] });
    const { err } = await startFailure(spec);
    assert.ok(err.message.includes(`'${program}' is not executable`), err.message);
    assert.equal(err.exit?.code, 126);
  });

  it('a kernel that exits during startup: KernelDiedError with its exit code, quickly', async () => {
    const spec = tempSpec('exits', { argv: ['/bin/sh', '-c', 'exit 3'] });
    const { err, ms } = await startFailure(spec);
    assert.equal(err.message, "kernel 'exits' exited during startup (exit code 3)");
    assert.deepEqual(err.exit, { code: 3, signal: null });
    assert.ok(ms < 5000, `${ms} ms`);
  });

  it('a kernel that never answers: timeout error, and the process is killed', async () => {
    const pidFile = path.join(tempDir(), 'pid');
    // `exec` keeps the pid, so the pid written is the kernel's.
    const spec = tempSpec('silent', {
      argv: ['/bin/sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`]
    });
    const { err, ms } = await startFailure(spec, { startupTimeoutMs: 1500 });
    assert.match(err.message, /^kernel 'silent' did not answer within 1\.5 s$/);
    assert.equal(err.exit, null);
    assert.ok(ms >= 1400 && ms < 6000, `${ms} ms`);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    try {
      assert.ok(pid > 0);
      assert.ok(!pidAlive(pid), 'the silent kernel is still running');
      await groupGone(pid);
    } finally {
      reap(pid);
    }
  });

  it('a working directory that does not exist: KernelDiedError, not a crash', async () => {
    const { err, ms } = await startFailure(getKernelSpec('python3'), {
      cwd: path.join(tempDir(), 'gone')
    });
    assert.match(err.message, /^working directory .*gone does not exist$/);
    assert.ok(ms < 5000, `${ms} ms`);
  });
});

describe('a port taken between choosing and binding it', () => {
  it('starts the kernel again with new ports', async () => {
    const dir = tempDir('nbx-port-race-');
    const python = kernelCommand(getKernelSpec('python3'), 'unused')[0];
    // The first attempt: another process binds the shell port just before ipykernel does,
    // which then fails as it would in the race. Later attempts start ipykernel as is.
    const script = path.join(dir, 'kernel.sh');
    const holder =
      'import json, socket, sys, time\n' +
      'c = json.load(open(sys.argv[1]))\n' +
      's = socket.socket()\n' +
      "s.bind((c['ip'], c['shell_port']))\n" +
      's.listen()\n' +
      "open(sys.argv[2], 'w').close()\n" +
      'time.sleep(60)\n';
    fs.writeFileSync(path.join(dir, 'holder.py'), holder);
    fs.writeFileSync(
      script,
      [
        '#!/bin/sh',
        `echo attempt >> "${dir}/attempts"`,
        `if [ ! -e "${dir}/raced" ]; then`,
        `  "${python}" "${dir}/holder.py" "$1" "${dir}/raced" &`,
        `  while [ ! -e "${dir}/raced" ]; do sleep 0.05; done`,
        'fi',
        `exec "${python}" -m ipykernel_launcher -f "$1"`,
        ''
      ].join('\n'),
      { mode: 0o755 }
    );
    const spec = tempSpec('racy', { argv: [script, '{connection_file}'], language: 'python' });
    const logFile = path.join(dir, 'kernel.log');
    const log = fs.openSync(logFile, 'a+');
    const km = await KernelManager.start({ spec, cwd: dir, env: process.env, output: log });
    try {
      const { reply, iopub } = await execute(km, 'print(6 * 7)').done;
      assert.equal(reply.content.status, 'ok');
      assert.equal(streamText(iopub), '42\n');
      assert.equal(fs.readFileSync(path.join(dir, 'attempts'), 'utf8'), 'attempt\nattempt\n');
      assert.match(fs.readFileSync(logFile, 'utf8'), /Address already in use/);
    } finally {
      await km.shutdown();
      fs.closeSync(log);
    }
  });
});

describe('tslab kernel', () => {
  let km: KernelManager;

  before(async () => {
    km = await KernelManager.start({
      spec: getKernelSpec('tslab'),
      cwd: tempDir(),
      env: process.env
    });
  });
  after(async () => {
    await km.kill();
    reap(km.process.pid);
  });

  it('starts and answers kernel_info (language typescript)', async () => {
    const lang = km.info.language_info as { name: string; file_extension: string };
    assert.equal(lang.name, 'typescript');
    assert.equal(lang.file_extension, '.ts');
    assert.equal(str(km.info, 'implementation'), 'tslab');
    assert.equal(await km.client.heartbeat(2000), true);
  });

  it('SIGINT interrupts a synchronous endless loop', async () => {
    const { done } = execute(km, 'let n: number = 0;\nwhile (true) {\n  n++;\n}');
    // tslab compiles first and then runs the loop; while it loops it cannot echo heartbeats,
    // which tells us the loop is running (a SIGINT during compilation would not stop it).
    await waitFor(() => (km.client.lastIopubAt > 0 ? true : undefined), 5000, 'iopub activity');
    for (let i = 0; await km.client.heartbeat(200); i++) {
      assert.ok(i < 100, 'the loop never started');
    }
    // A loaded machine can stall tslab's heartbeat while it still compiles, and a SIGINT
    // then lands before the loop: interrupt again until the loop reports it stopped.
    let settled = false;
    void done.then(() => (settled = true));
    for (let i = 0; !settled && i < 10; i++) {
      await km.interrupt();
      await Promise.race([done, new Promise(resolve => setTimeout(resolve, 1500))]);
    }
    const { reply, iopub } = await within(done, 5000, 'interrupted execute_reply');
    assert.equal(str(reply.content, 'status'), 'error');
    assert.match(streamText(iopub), /interrupted by `SIGINT`/);
    // tslab aborts executes that arrive within 200 ms of an error.
    await new Promise(resolve => setTimeout(resolve, 300));
    const { iopub: next } = await within(execute(km, '1 + 1').done, 20_000, 'execute');
    assert.equal(streamText(next), '2\n');
  });

  it('shutdown() leaves no process behind', async () => {
    const pid = km.process.pid;
    const files = runtimeFiles();
    assert.equal(files.length, 1, files.join(', '));
    await within(km.shutdown(), 8000, 'shutdown');
    await groupGone(pid);
    assert.deepEqual(runtimeFiles(), []);
  });
});
