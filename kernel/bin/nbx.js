#!/usr/bin/env node
'use strict';
// Keep compiled code between runs (a faster start): Node 22.1+ has a compile cache of its
// own; on older Node, v8-compile-cache does the same through V8's code cache.
const nodeModule = require('node:module');
if (nodeModule.enableCompileCache) {
  nodeModule.enableCompileCache();
} else {
  require('v8-compile-cache');
}
require('../lib/cli/main.js').main(process.argv);
