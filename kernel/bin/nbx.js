#!/usr/bin/env node
'use strict';
// Node 22.1+ keeps compiled code between runs (a faster start); older Node has no such cache.
require('node:module').enableCompileCache?.();
require('../lib/cli/main.js').main(process.argv);
