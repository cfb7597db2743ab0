/**
 * The runs roots the service serves, and nothing else: its own (`$NBX_HOME`, else the
 * project's `.nbx/` found from its directory) and those of nbx's JupyterLab settings as
 * the server saved them (`runsRoot` and `otherRunsRoots` of `nbx:plugin`, relative to the
 * service's directory, the server's root). A request naming any other root is refused, so
 * the service never reads or deletes outside the roots a person configured.
 *
 * The settings are read from JupyterLab's user settings directory, as jupyterlab_server
 * finds it: `$JUPYTERLAB_SETTINGS_DIR`, else `lab/user-settings` in Jupyter's config
 * directory (`$JUPYTER_CONFIG_DIR`, else `~/.jupyter`). The file is read at every request
 * that names a root, so a root set in the Settings Editor is served at once.
 */
import JSON5 from 'json5';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../base/errors';
import { resolveRunsRoot } from '../store/root';

/** Where JupyterLab keeps the settings of `nbx:plugin`, under its user settings directory. */
export const SETTINGS_FILE = path.join('nbx', 'plugin.jupyterlab-settings');

/** JupyterLab's user settings directory for the server this kernel belongs to. */
export function userSettingsDir(env: NodeJS.ProcessEnv): string {
  if (env.JUPYTERLAB_SETTINGS_DIR) {
    return env.JUPYTERLAB_SETTINGS_DIR;
  }
  const config = env.JUPYTER_CONFIG_DIR || path.join(os.homedir(), '.jupyter');
  return path.join(config, 'lab', 'user-settings');
}

/** The service's own runs root: the one a request naming none gets. */
export function defaultRoot(cwd: string, env: NodeJS.ProcessEnv): string {
  return resolveRunsRoot({ cwd, env });
}

/**
 * The runs roots the saved settings name (`runsRoot`, `otherRunsRoots`), resolved against
 * `cwd`; [] when there are no settings or they cannot be read.
 */
export function settingsRoots(cwd: string, env: NodeJS.ProcessEnv): string[] {
  let settings: unknown;
  try {
    const text = fs.readFileSync(path.join(userSettingsDir(env), SETTINGS_FILE), 'utf8');
    // JupyterLab saves settings as the person wrote them (comments, trailing commas) and
    // reads them with json5: so does the service.
    settings = JSON5.parse(text);
  } catch {
    return [];
  }
  if (typeof settings !== 'object' || settings === null) {
    return [];
  }
  const { runsRoot, otherRunsRoots } = settings as Record<string, unknown>;
  const named = [runsRoot, ...(Array.isArray(otherRunsRoots) ? otherRunsRoots : [])];
  return named
    .filter((root): root is string => typeof root === 'string' && root.trim() !== '')
    .map(root => path.resolve(cwd, root.trim()));
}

/** The path, with symlinks resolved when it exists (so two spellings of a root match). */
function canonical(dir: string): string {
  try {
    return fs.realpathSync.native(dir);
  } catch {
    return path.resolve(dir);
  }
}

/**
 * The runs root a request's `root` param names (resolved against `cwd`), when the service
 * serves it; else a one-line `UserError` naming the roots it serves.
 */
export function servedRoot(given: string, cwd: string, env: NodeJS.ProcessEnv): string {
  const root = path.resolve(cwd, given.trim());
  const served = [defaultRoot(cwd, env), ...settingsRoots(cwd, env)];
  const wanted = canonical(root);
  if (served.some(dir => dir === root || canonical(dir) === wanted)) {
    return root;
  }
  throw new UserError(
    `the nbx service does not serve runs root ${root}: it serves ${[...new Set(served)].join(', ')} ` +
      '(set runsRoot or otherRunsRoots in the nbx settings)'
  );
}
