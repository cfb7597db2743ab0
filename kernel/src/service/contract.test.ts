/**
 * The service's methods are typed by the contract (contract/service.ts): these lines
 * compile only because the wrong ones are refused (`@ts-expect-error` fails the build when
 * its line compiles), and the table holds exactly the contract's methods.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ServiceMethodName } from '../contract';
import { SERVICE_METHODS } from './methods';
import { optionalString } from './params';
import type { MethodOf, ServiceMethodTable } from './protocol';

// A method that reads a param its contract entry does not declare.
const readsUndeclared: MethodOf<'getLogTail'> = params => ({
  json: {
    // @ts-expect-error 'label' is not a param of getLogTail
    text: optionalString(params, 'label') ?? '',
    size: 0,
    truncated: false
  }
});

// A method whose result is not the contract's.
// @ts-expect-error getLogTail's result is an ILogTail, not a string
const wrongResult: MethodOf<'getLogTail'> = () => ({ json: 'the log' });

// A table without one of the contract's methods.
// @ts-expect-error 'restartRun' is missing
const missing: ServiceMethodTable = { ...SERVICE_METHODS, restartRun: undefined };

describe('the service contract', () => {
  it('is what the method table answers, method by method', () => {
    const names: ServiceMethodName[] = [
      'info',
      'listRuns',
      'getRun',
      'getNotebook',
      'getLogTail',
      'stopRuns',
      'deleteRuns',
      'setLabel',
      'setTags',
      'gpus',
      'kernels',
      'flags',
      'previewTrials',
      'startRun',
      'restartRun',
      'scalarKeys',
      'scalarPoints',
      'watchScalars',
      'unwatchScalars',
      'sweepStatus',
      'watchRun',
      'unwatchRun'
    ];
    assert.deepEqual(Object.keys(SERVICE_METHODS).sort(), [...names].sort());
    assert.ok([readsUndeclared, wrongResult, missing].every(value => value !== null));
  });
});
