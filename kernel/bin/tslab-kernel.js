#!/usr/bin/env node
'use strict';
// The tslab and jslab kernelspecs nbx installs run this instead of tslab's own bin: the
// same `tslab kernel ...` command line, with tslab's modules (its TypeScript compiler above
// all) compiled through a V8 code cache kept between kernel starts (see code-cache.ts).
const path = require('path');
const { codeCacheDir, enableCodeCache } = require('../lib/protocol/code-cache.js');

const tslabDir = path.dirname(require.resolve('tslab/package.json'));
const { version } = require(path.join(tslabDir, 'package.json'));
// The node_modules holding tslab holds its dependencies too; a tslab installed in the
// notebook's own directory (which tslab prefers) is compiled by Node as usual.
const cache = enableCodeCache(path.dirname(tslabDir), codeCacheDir(`tslab-${version}`));
require(path.join(tslabDir, 'dist', 'main.js')).main();
if (cache.misses > 0) {
  // main() has created the compiler (tslab does before it serves); once more at exit.
  cache.save();
  process.once('exit', () => cache.save());
}
