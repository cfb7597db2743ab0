/**
 * Every method of the service, by name. Each takes the request's `params` (all accept
 * `root`, an explicit runs root overriding the one found from the service's directory)
 * and is documented where it is defined; params and results are typed by the contract.
 */
import type { ServiceMethodTable } from './protocol';
import {
  getLogTailMethod,
  getNotebookMethod,
  getRunMethod,
  infoMethod,
  listRunsMethod
} from './methods-read';
import {
  flagsMethod,
  gpusMethod,
  kernelsMethod,
  previewTrialsMethod,
  restartRunMethod,
  startRunMethod
} from './methods-start';
import {
  scalarKeysMethod,
  scalarPointsMethod,
  unwatchScalarsMethod,
  watchScalarsMethod
} from './methods-scalars';
import { sweepStatusMethod } from './methods-sweep';
import { unwatchRunMethod, watchRunMethod } from './methods-watch';
import { deleteRunsMethod, setLabelMethod, setTagsMethod, stopRunsMethod } from './methods-write';

/** The methods the `nbx` comm answers: each as the contract (contract/service.ts) declares it. */
export const SERVICE_METHODS: ServiceMethodTable = {
  info: infoMethod,
  listRuns: listRunsMethod,
  getRun: getRunMethod,
  getNotebook: getNotebookMethod,
  getLogTail: getLogTailMethod,
  stopRuns: stopRunsMethod,
  deleteRuns: deleteRunsMethod,
  setLabel: setLabelMethod,
  setTags: setTagsMethod,
  gpus: gpusMethod,
  kernels: kernelsMethod,
  flags: flagsMethod,
  previewTrials: previewTrialsMethod,
  startRun: startRunMethod,
  restartRun: restartRunMethod,
  scalarKeys: scalarKeysMethod,
  scalarPoints: scalarPointsMethod,
  watchScalars: watchScalarsMethod,
  unwatchScalars: unwatchScalarsMethod,
  sweepStatus: sweepStatusMethod,
  watchRun: watchRunMethod,
  unwatchRun: unwatchRunMethod
};
