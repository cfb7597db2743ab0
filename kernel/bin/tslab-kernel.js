#!/usr/bin/env node
'use strict';
// The tslab and jslab kernelspecs nbx installs run this instead of tslab's own bin: the
// same `tslab kernel ...` command line, with tslab's modules (its TypeScript compiler above
// all) compiled through a V8 code cache kept between kernel starts (see code-cache.ts), and
// started from a V8 startup snapshot holding TypeScript with the standard library already
// compiled, once one is built (see tslab-snapshot.ts): then this process relays to a child
// started from it.
const fs = require('fs');
const path = require('path');
const { enableCodeCache } = require('../lib/protocol/code-cache.js');
const snapshot = require('../lib/protocol/tslab-snapshot.js');

const tslabDir = path.dirname(require.resolve('tslab/package.json'));
const cacheDir = snapshot.tslabCacheDir(tslabDir);

function log(line) {
  process.stderr.write(`nbx: ${line}\n`);
}

function planOrNull() {
  try {
    return snapshot.snapshotPlan(tslabDir, cacheDir);
  } catch (err) {
    log(`no startup snapshot for this tslab (${err.message})`);
    return null;
  }
}

function startTslab() {
  // The node_modules holding tslab holds its dependencies too; a tslab installed in the
  // notebook's own directory (which tslab prefers) is compiled by Node as usual.
  const cache = enableCodeCache(path.dirname(tslabDir), cacheDir);
  require(path.join(tslabDir, 'dist', 'main.js')).main();
  if (cache.misses > 0) {
    // main() has created the compiler (tslab does before it serves); once more at exit.
    cache.save();
    process.once('exit', () => cache.save());
  }
}

const prepared = snapshot.preparedTypeScript();
if (prepared !== undefined) {
  // The relay's child, started from the snapshot. Node 20 leaves Error.stackTraceLimit
  // unset in a process started from a snapshot, so no error would carry its stack.
  if (typeof Error.stackTraceLimit !== 'number') {
    Error.stackTraceLimit = 10;
  }
  const plan = planOrNull();
  snapshot.hideSnapshotFlag();
  if (plan !== null) {
    // The snapshots kept are those used last (see pruneSnapshots).
    snapshot.touchSnapshot(plan.blob);
  }
  const why = plan && snapshot.adoptPreparedTypeScript(prepared, plan);
  if (why) {
    log(`${why}; tslab starts without it`);
  }
  snapshot.reportToRelay();
  startTslab();
} else if (!snapshot.snapshotEnabled()) {
  startTslab();
} else {
  const plan = planOrNull();
  if (plan !== null && fs.existsSync(plan.blob)) {
    snapshot.relayToSnapshot(plan.blob, __filename, startTslab);
  } else {
    if (plan !== null && fs.existsSync(snapshot.failedMarker(plan.blob))) {
      log(`tslab's startup snapshot could not be built (${snapshot.failedMarker(plan.blob)})`);
    } else if (plan !== null && snapshot.buildInBackground(plan)) {
      log(
        'no startup snapshot for tslab yet: building it in the background; this start is without'
      );
    }
    startTslab();
  }
}
