/**
 * The runs root for commands that name no notebook: from the working directory.
 */
import { resolveRunsRoot } from '../store/root';

export function runsRootHere(): string {
  return resolveRunsRoot({ cwd: process.cwd(), env: process.env });
}
