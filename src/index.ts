/**
 * The nbx JupyterLab extension: the browser side of nbx. Every plugin talks to the nbx
 * service kernel over Jupyter comms (client/); nothing here touches the filesystem.
 */
import { aboutPlugin } from './about/plugin';
import { comparePlugin } from './compare/plugin';
import { kernelSpecsPlugin, kernelsPlugin } from './client/hidden-kernels';
import { servicePlugin } from './client/plugin';
import { runExperimentPlugin } from './run-dialog/plugin';
import { runViewPlugin } from './run-view/plugin';
import { runsPlugin } from './runs/plugin';
import { scalarsPlugin } from './scalars/plugin';

export default [
  servicePlugin,
  aboutPlugin,
  runsPlugin,
  runViewPlugin,
  comparePlugin,
  runExperimentPlugin,
  scalarsPlugin,
  kernelSpecsPlugin,
  kernelsPlugin
];
