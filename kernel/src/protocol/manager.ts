/**
 * A started kernel: its process, a client connected to it, readiness,
 * interrupt and shutdown. This is what the executor drives.
 */
import * as fs from 'fs';
import { delay } from '../base/async';
import { KernelClient } from './client';
import { ipythonHistoryArguments, kernelCommand, type IKernelSpec } from './kernelspec';
import { newConnectionInfo, writeConnectionFile, type IConnectionInfo } from './connection';
import { KernelProcess, type IExit } from './launcher';
import type { Content, IMessage } from './messages';
import { directSnapshotArgv } from './tslab-snapshot';

export interface IStartOptions {
  spec: IKernelSpec;
  cwd: string;
  /** The environment the kernel gets (the spec's `env` is merged over it). */
  env: NodeJS.ProcessEnv;
  /** File descriptor receiving the kernel process's own stdout and stderr. */
  output?: number | 'ignore';
  /** How long the kernel may take to answer `kernel_info` (default 60 s). */
  startupTimeoutMs?: number;
  /**
   * False: the kernelspec's command as it is, even where nbx could start the kernel straight
   * from tslab's startup snapshot (see tslab-snapshot `directSnapshotArgv`). Default true.
   */
  direct?: boolean;
}

/** The kernel died or could not start; `exit` says how it ended. */
export class KernelDiedError extends Error {
  constructor(
    message: string,
    readonly exit: IExit | null
  ) {
    super(message);
    this.name = 'KernelDiedError';
  }
}

export function describeExit(exit: IExit | null): string {
  if (!exit) {
    return 'still running';
  }
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

export class KernelManager {
  readonly spec: IKernelSpec;
  readonly process: KernelProcess;
  readonly client: KernelClient;
  readonly connection: IConnectionInfo;
  /** `kernel_info_reply` content, once ready. */
  info: Content = {};

  /**
   * Starts the kernel and resolves once it answers on shell and iopub.
   *
   * Ports are chosen here and bound by the kernel a moment later, so another process may
   * take one in between (see `freePorts`). A kernel that dies during startup saying so
   * (`Address already in use` in its output, when `output` is a file) is started again
   * with new ports, as jupyter_client does, up to `PORT_ATTEMPTS` times in all.
   */
  static async start(options: IStartOptions): Promise<KernelManager> {
    const env = { ...options.env, ...options.spec.env };
    // The command with its connection file still to fill in, started from the snapshot.
    const direct =
      options.direct === false
        ? null
        : directSnapshotArgv(kernelCommand(options.spec, CONNECTION_FILE), env);
    let argv = direct ?? options.spec.argv;
    for (let attempt = 1; ; attempt++) {
      const outputStart = outputSize(options.output);
      try {
        return await KernelManager._startOnce(options, argv, env);
      } catch (err) {
        const died = err instanceof KernelDiedError && err.exit !== null;
        if (died && argv === direct && !portTaken(options.output, outputStart)) {
          // Started from a snapshot that does not load: again through the relay, which
          // says so in the kernel's output and removes it.
          argv = options.spec.argv;
          continue;
        }
        if (!(died && attempt < PORT_ATTEMPTS && portTaken(options.output, outputStart))) {
          throw err;
        }
      }
    }
  }

  /**
   * Starts the kernel of `options.spec` with the command `argv` (the spec's, or `direct`) in
   * the environment `env` (the options', with the spec's on top).
   */
  private static async _startOnce(
    options: IStartOptions,
    argv: readonly string[],
    env: NodeJS.ProcessEnv
  ): Promise<KernelManager> {
    if (!fs.existsSync(options.cwd)) {
      throw new KernelDiedError(`working directory ${options.cwd} does not exist`, null);
    }
    const connection = await newConnectionInfo(options.spec.name);
    const file = writeConnectionFile(connection);
    const command = [
      ...kernelCommand({ ...options.spec, argv: [...argv] }, file),
      ...ipythonHistoryArguments(options.spec, env)
    ];
    const proc = new KernelProcess({
      argv: command,
      cwd: options.cwd,
      env,
      output: options.output,
      removeOnOrphan: file
    });
    const manager = new KernelManager(options.spec, proc, connection, file);
    manager._program = command[0];
    try {
      await manager._waitReady(options.startupTimeoutMs ?? 60_000);
    } catch (err) {
      await manager.kill();
      throw err;
    }
    return manager;
  }

  /** The connection file the kernel was started with (removed when it is killed here). */
  get connectionFile(): string {
    return this._connectionFile;
  }

  private constructor(
    spec: IKernelSpec,
    proc: KernelProcess,
    connection: IConnectionInfo,
    connectionFile: string
  ) {
    this.spec = spec;
    this.process = proc;
    this.connection = connection;
    this._connectionFile = connectionFile;
    this.client = new KernelClient(connection);
  }

  /** Resolves with a `KernelDiedError` when the kernel process exits. */
  get died(): Promise<KernelDiedError> {
    return this.process.exited.then(
      exit => new KernelDiedError(`kernel died (${describeExit(exit)})`, exit)
    );
  }

  /**
   * Interrupts the running cell the way the kernelspec asks: SIGINT to the
   * process group, or an `interrupt_request` on the control channel.
   */
  async interrupt(): Promise<void> {
    if (this.spec.interruptMode === 'message') {
      const { reply, msgId } = this.client.request('control', 'interrupt_request', {});
      await Promise.race([reply, delay(2000)]).catch(() => undefined);
      this.client.release(msgId);
    } else {
      this.process.signal('SIGINT');
    }
  }

  /**
   * Shuts down politely (`shutdown_request` on control), then SIGTERM, then
   * SIGKILL; resolves when the process is gone and the sockets are closed.
   */
  async shutdown(graceMs = 2000): Promise<void> {
    if (this.process.alive && !this.client.closed) {
      const { reply, msgId } = this.client.request('control', 'shutdown_request', {
        restart: false
      });
      await Promise.race([reply.catch(() => undefined), this.process.exited, delay(graceMs)]);
      this.client.release(msgId);
      await this.process.waitExit(graceMs);
    }
    await this.kill(graceMs);
  }

  /** Terminates the process group without asking and frees everything. */
  async kill(graceMs = 1000): Promise<void> {
    this.client.close();
    await this.process.terminate(graceMs);
    fs.rmSync(this._connectionFile, { force: true });
  }

  /**
   * Readiness, as nbclient does it: `kernel_info` answered on shell *and*
   * some iopub traffic seen, since a SUB socket misses what was published
   * before its subscription reached the kernel. tslab binds only after
   * warming its compiler, so we keep asking until both arrive.
   */
  private async _waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let gotReply = false;
    let exitError: KernelDiedError | null = null;
    void this.died.then(err => {
      exitError = err;
    });
    while (Date.now() < deadline) {
      const { reply, msgId } = this.client.request('shell', 'kernel_info_request', {});
      const waitMs = gotReply ? 100 : 500;
      const answer = await Promise.race([
        reply.catch(() => null),
        this.process.exited.then(() => null),
        delay(waitMs).then(() => null)
      ]);
      if (exitError || !this.process.alive) {
        const exit = this.process.exitStatus;
        // The kernel runs under `sh`, so a program that is missing or not
        // executable shows up as sh's exit code 127 or 126, not a spawn error.
        const why = this.process.spawnError
          ? `could not start '${this._program}': ${this.process.spawnError.message}`
          : exit?.code === 127 || exit?.code === 126
            ? `could not start kernel '${this.spec.name}': '${this._program}' ` +
              `${exit.code === 127 ? 'was not found' : 'is not executable'} (${describeExit(exit)})`
            : `kernel '${this.spec.name}' exited during startup (${describeExit(exit)})`;
        throw new KernelDiedError(why, exit);
      }
      if (answer) {
        gotReply = true;
        this.info = (answer as IMessage).content;
      }
      if (gotReply && this.client.lastIopubAt > 0) {
        // Late replies to earlier kernel_info requests are dropped by release().
        this.client.release(msgId);
        return;
      }
      if (answer) {
        // Let iopub catch up before asking again.
        await delay(50);
        if (this.client.lastIopubAt > 0) {
          this.client.release(msgId);
          return;
        }
      }
      this.client.release(msgId);
    }
    throw new KernelDiedError(
      `kernel '${this.spec.name}' did not answer within ${formatSecondsShort(timeoutMs)}`,
      null
    );
  }

  private readonly _connectionFile: string;
  /** The program the kernel command runs (argv[0] after substitution). */
  private _program = '';
}

/** How many times `KernelManager.start` starts a kernel that lost a port to a race. */
export const PORT_ATTEMPTS = 3;
/** The kernelspec's placeholder of the connection file. */
const CONNECTION_FILE = '{connection_file}';

/** The size of the file open as `output` (where the kernel's output starts), or null. */
function outputSize(output: number | 'ignore' | undefined): number | null {
  if (typeof output !== 'number') {
    return null;
  }
  try {
    return fs.fstatSync(output).size;
  } catch {
    return null;
  }
}

/** True when what the kernel wrote to `output` since `from` says a port was in use. */
function portTaken(output: number | 'ignore' | undefined, from: number | null): boolean {
  if (typeof output !== 'number' || from === null) {
    return false;
  }
  try {
    const size = fs.fstatSync(output).size;
    const length = Math.min(size - from, 64 * 1024);
    const bytes = Buffer.alloc(Math.max(0, length));
    fs.readSync(output, bytes, 0, bytes.length, size - bytes.length);
    return /address already in use|EADDRINUSE/i.test(bytes.toString('utf8'));
  } catch {
    return false;
  }
}

function formatSecondsShort(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
