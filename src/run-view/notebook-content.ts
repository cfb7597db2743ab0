/**
 * A run's notebook as JupyterLab's notebook model takes it, without DOM: multiline
 * strings joined and every cell untrusted.
 */
import type * as nbformat from '@jupyterlab/nbformat';

/** The notebook ready to show: `untrusted(joinMultiline(nb))`. */
export function viewableNotebook(nb: nbformat.INotebookContent): nbformat.INotebookContent {
  return untrusted(joinMultiline(nb));
}

/**
 * The notebook with its multiline strings (sources, stream texts, text outputs) joined,
 * as the Jupyter server hands notebooks to JupyterLab: the notebook model expects that.
 */
export function joinMultiline(nb: nbformat.INotebookContent): nbformat.INotebookContent {
  return {
    ...nb,
    cells: nb.cells.map(cell => {
      const source = joined(cell.source);
      if (cell.cell_type !== 'code') {
        return { ...cell, source };
      }
      const outputs = ((cell as nbformat.ICodeCell).outputs ?? []).map(joinOutput);
      return { ...cell, source, outputs };
    })
  };
}

/** An output with its multiline strings joined (see `joinMultiline`). */
export function joinOutput(output: nbformat.IOutput): nbformat.IOutput {
  switch (output.output_type) {
    case 'stream':
      return { ...output, text: joined((output as nbformat.IStream).text) };
    case 'execute_result':
    case 'display_data':
      return {
        ...output,
        data: joinBundle((output as nbformat.IDisplayData).data ?? {})
      };
    default:
      return output;
  }
}

/**
 * The notebook with every cell's `metadata.trusted` removed: a run's notebook is read
 * from disk, where anyone could have marked it trusted, so JupyterLab renders its
 * outputs untrusted (HTML sanitized, no scripts, no SVG, no JavaScript outputs).
 */
export function untrusted(nb: nbformat.INotebookContent): nbformat.INotebookContent {
  return {
    ...nb,
    cells: nb.cells.map(cell => {
      const { trusted: _trusted, ...metadata } = cell.metadata ?? {};
      return { ...cell, metadata };
    })
  };
}

/** A multiline string of nbformat (a list of lines) as one string. */
function joined<T>(value: T | string[]): T | string {
  return Array.isArray(value) && value.every(line => typeof line === 'string')
    ? value.join('')
    : (value as T);
}

/** A mime bundle with its text values joined (JSON values stay as they are). */
function joinBundle(bundle: nbformat.IMimeBundle): nbformat.IMimeBundle {
  const out: nbformat.IMimeBundle = {};
  for (const [mime, value] of Object.entries(bundle)) {
    out[mime] = /[/+]json$/.test(mime) ? value : (joined(value) as nbformat.MultilineString);
  }
  return out;
}
