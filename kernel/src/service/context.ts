/**
 * The context service methods run in: the kernel's directory and environment, and
 * the runs root of each request.
 */
import type { IServiceContext } from './protocol';
import { optionalString, type Params } from './params';
import { defaultRoot, servedRoot } from './roots';
import type { RunWatch } from './run-watch';
import type { ScalarsWatch } from './scalars-watch';
import type { ServiceStandby } from './standby';

/** Options of `createContext`. */
export interface IContextOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Told about every runs root a request used (so it can be watched). */
  onRoot?: (root: string) => void;
  /** The live scalars of the service. */
  scalars?: ScalarsWatch;
  standby?: ServiceStandby;
  /** The runs whose output the service pushes. */
  runs?: RunWatch;
}

/**
 * A context whose runs root is the `root` param of a request (a settings override,
 * relative to `cwd`) when the service serves it (see roots.ts; any other is a one-line
 * error), else the one `resolveRunsRoot` finds from `cwd` and `env`.
 */
export function createContext(options: IContextOptions): IServiceContext {
  return {
    cwd: options.cwd,
    env: options.env,
    log: options.log,
    scalars: options.scalars,
    standby: options.standby,
    runs: options.runs,
    rootFor(params: Params): string {
      const given = optionalString(params, 'root');
      const root =
        given !== undefined && given.trim() !== ''
          ? servedRoot(given, options.cwd, options.env)
          : defaultRoot(options.cwd, options.env);
      options.onRoot?.(root);
      return root;
    }
  };
}
