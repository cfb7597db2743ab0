/**
 * The graph a run view draws, without DOM: for a pipeline, its steps in the order they ran
 * and the runs they used that are not steps; for a run with dependencies, the runs it used
 * and itself. An edge `next` joins consecutive steps, an edge `uses` leads from a run to
 * a run that used its files.
 */
import type { RunMeta, RunStatus } from '../../kernel/src/contract/run';

/** One run of the graph. */
export interface IGraphNode {
  id: string;
  /** A step's name (its link in the pipeline's directory), else the notebook's name. */
  name: string;
  notebook: string;
  /** Null while its record is not fetched (or was removed). */
  status: RunStatus | null;
  /** `step` of the pipeline shown, `dependency` used by it, `run` the run shown. */
  role: 'step' | 'dependency' | 'run';
}

/** `from` ran before `to` (`next`), or `to` used files of `from` (`uses`). */
export interface IGraphEdge {
  from: string;
  to: string;
  kind: 'next' | 'uses';
}

export interface IRunGraph {
  /** In drawing order: dependencies first, then the steps (or the run) in order. */
  nodes: IGraphNode[];
  edges: IGraphEdge[];
}

/** The ids of the runs `record`'s graph needs the records of (its steps, what they used). */
export function relatedIds(record: RunMeta, related: ReadonlyMap<string, RunMeta>): string[] {
  const consumers =
    record.kind === 'pipeline' ? (record.steps ?? []).map(s => related.get(s.run)) : [record];
  const ids = record.kind === 'pipeline' ? (record.steps ?? []).map(s => s.run) : [];
  for (const consumer of consumers) {
    for (const dep of consumer?.deps ?? []) {
      if (dep.run !== null) {
        ids.push(dep.run);
      }
    }
  }
  return [...new Set(ids)];
}

/**
 * The graph of `record` given the records fetched of the runs it names (`related`), or
 * null for a run that is no pipeline and used no other run.
 */
export function runGraph(record: RunMeta, related: ReadonlyMap<string, RunMeta>): IRunGraph | null {
  const node = (id: string, role: IGraphNode['role'], name?: string): IGraphNode => {
    const meta = id === record.id ? record : related.get(id);
    const notebook = meta?.notebookName ?? '';
    return { id, name: name ?? notebook, notebook, status: meta?.status ?? null, role };
  };
  const main =
    record.kind === 'pipeline'
      ? (record.steps ?? []).map(step => node(step.run, 'step', step.name))
      : [node(record.id, 'run')];
  const inMain = new Set(main.map(n => n.id));
  const dependencies: IGraphNode[] = [];
  const edges: IGraphEdge[] = [];
  main.forEach((consumer, i) => {
    if (record.kind === 'pipeline' && i > 0) {
      edges.push({ from: main[i - 1].id, to: consumer.id, kind: 'next' });
    }
    const meta = consumer.id === record.id ? record : related.get(consumer.id);
    for (const dep of meta?.deps ?? []) {
      if (dep.run === null) {
        continue;
      }
      if (!inMain.has(dep.run) && !dependencies.some(d => d.id === dep.run)) {
        dependencies.push(node(dep.run, 'dependency'));
      }
      edges.push({ from: dep.run, to: consumer.id, kind: 'uses' });
    }
  });
  if (record.kind !== 'pipeline' && dependencies.length === 0) {
    return null;
  }
  return { nodes: [...dependencies, ...main], edges };
}
