#!/usr/bin/env node
'use strict';
// A command such as `nbx runs` is mostly Node's start and module loading, so compiled code
// is kept between runs: by Node itself from 22.1 on, else by nbx's code cache over the
// package's own modules and dependencies (see kernel/src/protocol/code-cache.ts). With the
// cache a warm `nbx runs` over 10,000 runs loads ~40 modules from bytecode.
// The `nbx` launcher (kernel/bin/path/nbx) starts Node without NODE_EXTRA_CA_CERTS, which
// the CLI never needs; what nbx starts gets the user's environment back.
if (process.env.NBX_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.NBX_EXTRA_CA_CERTS;
  delete process.env.NBX_EXTRA_CA_CERTS;
}
const Module = require('node:module');
if (Module.enableCompileCache) {
  Module.enableCompileCache();
} else if (!process.env.NBX_NO_CODE_CACHE) {
  const path = require('node:path');
  const { codeCacheDir, enableCodeCache } = require('../lib/protocol/code-cache.js');
  const { version } = require('../../package.json');
  const cache = enableCodeCache(path.join(__dirname, '..', '..'), codeCacheDir(`nbx-${version}`));
  // At exit the entries hold the functions compiled while the command ran, too.
  process.once('exit', () => cache.misses > 0 && cache.save());
}
require('../lib/cli/main.js').main(process.argv);
