/**
 * Stopping runs that share a process. A sweep runs several trials in one runner
 * process, so a signal to that process cannot mean "stop this run". Instead:
 *
 * - `requestStop(run, reason)` writes the request into the run's private directory
 *   (`.nbx/stop`), and whoever wants the run stopped then sends `SIGUSR2` to its runner;
 * - every run active in a process registers here (`registerStoppable`); on `SIGUSR2`
 *   each one whose request file exists is stopped, the others go on;
 * - `SIGTERM`, `SIGINT` and `SIGHUP` still stop everything in the process.
 *
 * The signal handlers are installed while at least one run is registered, once per
 * process however many runs there are.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { RunDir } from '../store/run-dir';

/** Name of the stop request file in a run's private directory. */
export const STOP_REQUEST_FILE = 'stop';

/** Signals that stop every run of the process. */
const STOP_ALL: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** The signal that asks the process to look at its runs' stop requests. */
export const STOP_ONE_SIGNAL: NodeJS.Signals = 'SIGUSR2';

function requestPath(run: RunDir): string {
  return path.join(run.privateDir, STOP_REQUEST_FILE);
}

/** Records that `run` should stop, with the reason its record will show. */
export function requestStop(run: RunDir, reason: string): void {
  fs.mkdirSync(run.privateDir, { recursive: true });
  fs.writeFileSync(requestPath(run), `${reason}\n`);
}

/** The reason of a pending stop request of `run`, or null when there is none. */
export function readStopRequest(run: RunDir): string | null {
  try {
    return fs.readFileSync(requestPath(run), 'utf8').trim() || 'stopped';
  } catch {
    return null;
  }
}

/** Forgets a stop request (before a run is started again). */
export function clearStopRequest(run: RunDir): void {
  fs.rmSync(requestPath(run), { force: true });
}

interface IStoppable {
  run: RunDir;
  stop: (reason: string) => void;
}

const active = new Set<IStoppable>();

function onStopAll(signal: NodeJS.Signals): void {
  for (const entry of [...active]) {
    entry.stop(readStopRequest(entry.run) ?? `stopped by ${signal}`);
  }
}

function onStopOne(): void {
  for (const entry of [...active]) {
    const reason = readStopRequest(entry.run);
    if (reason !== null) {
      entry.stop(reason);
    }
  }
}

/**
 * Registers a run active in this process: `stop` is called (possibly more than once)
 * when the run is asked to stop. Returns the function that unregisters it. A request
 * written before the registration is honoured at once.
 */
export function registerStoppable(run: RunDir, stop: (reason: string) => void): () => void {
  const entry: IStoppable = { run, stop };
  if (active.size === 0) {
    for (const s of STOP_ALL) {
      process.on(s, onStopAll);
    }
    process.on(STOP_ONE_SIGNAL, onStopOne);
  }
  active.add(entry);
  const pending = readStopRequest(run);
  if (pending !== null) {
    stop(pending);
  }
  return () => {
    if (!active.delete(entry)) {
      return;
    }
    if (active.size === 0) {
      for (const s of STOP_ALL) {
        process.off(s, onStopAll);
      }
      process.off(STOP_ONE_SIGNAL, onStopOne);
    }
  };
}

/** Stops a run active in this process (e.g. a trial of a batch being stopped). */
export function stopActive(runId: string, reason: string): boolean {
  let found = false;
  for (const entry of [...active]) {
    if (entry.run.id === runId) {
      entry.stop(reason);
      found = true;
    }
  }
  return found;
}
