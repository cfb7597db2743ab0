/**
 * The nbx service on a kernel server: answers requests on `nbx` comms and pushes
 * `runs-changed` events to every open one while the runs roots in use change. Each comm is
 * a connection (connection.ts) holding the watches made on it (live scalars, run output):
 * what they push goes to that comm only, and a comm that closes drops them.
 */
import type { Content, IMessage } from '../protocol/messages';
import type { Comm, KernelServer } from '../protocol/server';
import { createContext } from './context';
import { defaultRoot } from './roots';
import { COMM_TARGET, Dispatcher, oneLine, type ServiceMethod } from './protocol';
import type { ServiceEvent } from '../contract';
import type { BinaryBuffer } from '../protocol/server';
import { ServiceConnection } from './connection';
import type { RunWatch } from './run-watch';
import { ScalarsWatch } from './scalars-watch';
import { SlurmPoll } from '../scheduler/slurm/poll';
import type { ServiceStandby } from './standby';
import { RunsWatcher } from './watch';

/** Options of `NbxService`. */
export interface INbxServiceOptions {
  /** The service's directory: where the runs root is looked for (default `process.cwd()`). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Diagnostics, one line each (default: stderr). */
  log?: (line: string) => void;
  /** Quiet time before `runs-changed` is pushed (default 200 ms). */
  debounceMs?: number;
  /**
   * The methods, loaded when the first comm opens (so the kernel answers
   * `kernel_info` before the engine modules are loaded).
   */
  loadMethods?: () => Promise<Readonly<Record<string, ServiceMethod>>>;
  /** The standby kernel runs started from JupyterLab take (none when absent). */
  standby?: ServiceStandby;
}

/** Serves the `nbx` comm target of `server`. */
export class NbxService {
  constructor(server: KernelServer, options: INbxServiceOptions = {}) {
    this._cwd = options.cwd ?? process.cwd();
    this._env = options.env ?? process.env;
    this._log = options.log ?? (line => process.stderr.write(`${line}\n`));
    this._standby = options.standby;
    this._debounceMs = options.debounceMs;
    // Loaded lazily: the engine modules are heavier than the kernel itself.
    this._loadMethods =
      options.loadMethods ?? (async () => (await import('./methods')).SERVICE_METHODS);
    server.registerCommTarget(COMM_TARGET, (comm, msg) => this._open(comm, msg));
  }

  /** Runs roots watched now (while at least one comm is open). */
  get watchedRoots(): string[] {
    return [...this._watchers.keys()].sort();
  }

  /** What the open comms hold: connections, their watches, and the runs followed for them. */
  get live(): { connections: number; watches: number; scalarRuns: number; streamedRuns: number } {
    let watches = 0;
    for (const connection of this._comms.values()) {
      watches += connection.watches;
    }
    return {
      connections: this._comms.size,
      watches,
      scalarRuns: this._scalars.runs,
      streamedRuns: this._runs?.runs ?? 0
    };
  }

  /** Stops watching. Idempotent. */
  close(): void {
    for (const connection of this._comms.values()) {
      connection.close();
    }
    this._comms.clear();
    this._unwatchAll();
    this._scalars.close();
    this._runs?.close();
  }

  private _open(comm: Comm, _openMsg: IMessage): void {
    const connection = new ServiceConnection((event, buffers) => void comm.send(event, buffers));
    this._comms.set(comm, connection);
    comm.onMsg = (data, _buffers, msg) => this._answer(comm, connection, data, msg);
    comm.onClose = () => {
      // Its watches die with it (a reloaded tab opens a new comm and watches again).
      connection.close();
      this._comms.delete(comm);
      if (this._comms.size === 0) {
        this._unwatchAll();
      }
    };
    this._watch(defaultRoot(this._cwd, this._env));
    // Start loading the engine now, so the first request does not wait for it.
    void this._dispatcher().catch(() => undefined);
  }

  private async _answer(
    comm: Comm,
    connection: ServiceConnection,
    data: Content,
    msg: IMessage
  ): Promise<void> {
    let dispatcher: Dispatcher;
    try {
      dispatcher = await this._dispatcher();
    } catch (err) {
      this._log(`nbx service: cannot load the engine: ${(err as Error).stack ?? String(err)}`);
      const id = typeof data.id === 'number' ? data.id : null;
      const error = `the nbx service could not load the engine: ${oneLine(err)}`;
      await comm.send({ id, ok: false, error }, [], { parent: msg });
      return;
    }
    const { reply, buffers } = await dispatcher.handle(data, connection);
    await comm.send(reply, buffers, { parent: msg });
  }

  private _dispatcher(): Promise<Dispatcher> {
    this._dispatch ??= Promise.all([this._loadMethods(), import('./run-watch')]).then(
      ([methods, { RunWatch }]) => {
        this._runs = new RunWatch({ log: line => this._log(line) });
        const context = createContext({
          cwd: this._cwd,
          env: this._env,
          log: this._log,
          scalars: this._scalars,
          standby: this._standby,
          runs: this._runs,
          onRoot: root => {
            if (this._comms.size > 0) {
              this._watch(root);
            }
          }
        });
        return new Dispatcher(methods, context);
      }
    );
    return this._dispatch;
  }

  private _watch(root: string): void {
    if (this._watchers.has(root)) {
      return;
    }
    const watcher = new RunsWatcher({
      root,
      debounceMs: this._debounceMs,
      log: this._log,
      onChange: (ids, removed) => this._push({ event: 'runs-changed', root, ids, removed })
    });
    this._watchers.set(root, watcher);
    this._slurmPolls.set(
      root,
      new SlurmPoll({
        root,
        log: this._log,
        onChange: ids => this._push({ event: 'runs-changed', root, ids, removed: [] })
      })
    );
  }

  private _unwatchAll(): void {
    for (const watcher of [...this._watchers.values(), ...this._slurmPolls.values()]) {
      watcher.close();
    }
    this._watchers.clear();
    this._slurmPolls.clear();
  }

  private _push(event: ServiceEvent, buffers: BinaryBuffer[] = []): void {
    for (const connection of this._comms.values()) {
      connection.push(event, buffers);
    }
  }

  private readonly _cwd: string;
  private readonly _env: NodeJS.ProcessEnv;
  private readonly _log: (line: string) => void;
  private readonly _standby: ServiceStandby | undefined;
  private readonly _debounceMs: number | undefined;
  private readonly _loadMethods: () => Promise<Readonly<Record<string, ServiceMethod>>>;
  private readonly _comms = new Map<Comm, ServiceConnection>();
  private readonly _watchers = new Map<string, RunsWatcher>();
  private readonly _slurmPolls = new Map<string, SlurmPoll>();
  private readonly _scalars = new ScalarsWatch({ log: line => this._log(line) });
  /** Made with the methods (it loads the engine's notebook modules). */
  private _runs: RunWatch | null = null;
  private _dispatch: Promise<Dispatcher> | null = null;
}
