/**
 * The nbx service kernel's entry point, as its kernelspec starts it:
 * `node kernel/lib/service/main.js -f {connection_file}`.
 *
 * Serves the `nbx` comm target until a `shutdown_request`, SIGTERM or SIGHUP, or until
 * the process that started it is gone; SIGINT is ignored (there is never code to
 * interrupt). Diagnostics go to stderr, which Jupyter Server keeps in its log.
 */
import { readConnectionFile } from '../protocol/connection';
import { KernelServer } from '../protocol/server';
import { NbxService } from './service';
import { ServiceStandby } from './standby';

const USAGE = 'usage: node kernel/lib/service/main.js -f CONNECTION_FILE';

/** The connection file named by `-f FILE`, `-f=FILE` or `--f=FILE`, or null. */
export function connectionFileArg(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-f' || arg === '--f') {
      return argv[i + 1] ?? null;
    }
    const match = /^--?f=(.+)$/.exec(arg);
    if (match) {
      return match[1];
    }
  }
  return null;
}

/** How often the parent process is checked for, in ms (as ipykernel's parent poller). */
const PARENT_POLL_MS = 1000;

/**
 * Calls `onGone` once `parent`, the process that started this one, has ended (this
 * process is then someone else's child). A Jupyter Server killed outright (SIGKILL) cannot shut its
 * kernels down: a service left behind would hold the server's output pipe open for ever
 * (whoever waits for it to close, waits for ever), and its standby kernel with it.
 */
export function watchParent(
  parent: number,
  onGone: () => void,
  everyMs = PARENT_POLL_MS
): () => void {
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onGone();
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Runs the service kernel until it is shut down; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  // Taken first: the parent may be gone before the server has started.
  const parent = process.ppid;
  const file = connectionFileArg(argv);
  if (file === null) {
    log(USAGE);
    return 2;
  }
  let server: KernelServer;
  try {
    server = await KernelServer.start(readConnectionFile(file), { log });
  } catch (err) {
    log(`nbx service: cannot start with ${file}: ${(err as Error).message}`);
    return 1;
  }
  const standby = new ServiceStandby();
  const service = new NbxService(server, { log, standby });
  const stop = (): void => server.close();
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
  process.on('SIGINT', () => undefined);
  const unwatch = watchParent(parent, () => {
    log('nbx service: the process that started it is gone; shutting down');
    stop();
  });
  // A bug in one request must not take the panels down with it.
  process.on('uncaughtException', err => log(`nbx service: uncaught: ${err.stack ?? err}`));
  process.on('unhandledRejection', err => log(`nbx service: unhandled: ${String(err)}`));
  await server.closed;
  unwatch();
  service.close();
  await standby.close();
  return 0;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then(code => {
    process.exitCode = code;
    // Sockets linger briefly to flush the shutdown reply; don't wait on anything else.
    setTimeout(() => process.exit(code), 1000).unref();
  });
}
