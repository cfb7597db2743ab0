/**
 * How `nbx show` describes pipelines and dependencies: a pipeline's steps (link name,
 * run, notebook, status), and the runs and files a run's requirements resolved to.
 */
import type { RunMeta } from '../store/meta';
import { RunDir } from '../store/run-dir';
import { effectiveStatus } from '../store/runs';
import { formatDuration } from '../base/display';
import { runDuration, shortId, table } from './format';

/** The steps of pipeline `meta`, one row each, in the order they ran. */
export function stepsTable(root: string, meta: RunMeta): string {
  const steps = meta.steps ?? [];
  if (steps.length === 0) {
    return '(no step started)';
  }
  return table(
    steps.map(step => {
      try {
        const m = new RunDir(root, step.run).readMeta();
        const took = runDuration(m);
        return [
          step.name,
          shortId(step.run),
          m.notebookName,
          effectiveStatus(m),
          took === null ? '-' : formatDuration(took)
        ];
      } catch {
        return [step.name, shortId(step.run), '-', 'removed', '-'];
      }
    })
  );
}

/** What a run's requirements resolved to: `prepare.ipynb  run 3f2a1b9c  data/a.csv (linked)`. */
export function dependenciesText(meta: RunMeta): string {
  return table(
    (meta.deps ?? []).map(dep => [
      dep.source,
      dep.run === null ? 'file' : `run ${shortId(dep.run)}`,
      `${dep.files.join(', ')} (${dep.copied ? 'copied' : 'linked'})`
    ])
  );
}
