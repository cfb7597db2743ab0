'use strict';
// The script `node --build-snapshot` runs to make tslab's startup snapshot (see
// lib/protocol/tslab-snapshot.js, which starts it with a manifest as its argument). A
// snapshot's builder may require Node's built-in modules only, so TypeScript's single-file
// compiler is compiled here with `vm`, as Node's CommonJS loader would wrap it, with one
// line added at the top of its `createSourceFile`: a lookup in the source files parsed here.
// Then a program with the compiler options tslab's converter uses is created and bound, so
// the snapshot holds TypeScript and the standard library's declaration files already
// scanned, parsed and bound. A kernel started from the snapshot hands that TypeScript to
// tslab; every `.d.ts` file its converters read with the same text and parse options gets
// the prepared source file, the rest is parsed as usual. Sharing bound declaration files
// between programs with the same options is what TypeScript's own DocumentRegistry does.
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const manifest = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const SIGNATURE =
  'function createSourceFile(fileName, sourceText, languageVersionOrOptions, setParentNodes = false, scriptKind) {';
const LOOKUP =
  'const prepared = __nbxPrepared(fileName, sourceText, languageVersionOrOptions, setParentNodes, scriptKind); if (prepared !== undefined) return prepared;';

const source = fs.readFileSync(manifest.tsFile, 'utf8');
if (source.split(SIGNATURE).length !== 2) {
  throw new Error(`${manifest.tsFile}: createSourceFile is not where this TypeScript had it`);
}

/** Prepared declaration files by name, each with the parse options it was made with. */
const prepared = new Map();
const counts = { hits: 0, misses: 0 };

function lookup(fileName, text, languageVersionOrOptions, setParentNodes, scriptKind) {
  const file = prepared.get(fileName);
  if (file === undefined) {
    return undefined;
  }
  const options =
    typeof languageVersionOrOptions === 'object'
      ? languageVersionOrOptions
      : { languageVersion: languageVersionOrOptions };
  const same =
    file.file.text === text &&
    file.languageVersion === options.languageVersion &&
    file.impliedNodeFormat === options.impliedNodeFormat &&
    file.setParentNodes === Boolean(setParentNodes) &&
    file.scriptKind === scriptKind &&
    sameModuleIndicator(file.file, options.setExternalModuleIndicator);
  if (same) {
    counts.hits++;
    return file.file;
  }
  counts.misses++;
  return undefined;
}

// The program decides whether a file is a module (moduleDetection): ask it, and put the
// prepared file's answer back.
function sameModuleIndicator(file, setIndicator) {
  if (setIndicator === undefined) {
    return true;
  }
  const before = file.externalModuleIndicator;
  setIndicator(file);
  const same = file.externalModuleIndicator === before;
  file.externalModuleIndicator = before;
  return same;
}

const compiled = vm.compileFunction(
  source.replace(SIGNATURE, `${SIGNATURE} ${LOOKUP}`),
  ['exports', 'require', 'module', '__filename', '__dirname', '__nbxPrepared'],
  { filename: manifest.tsFile }
);
const mod = { exports: {} };
compiled.call(
  mod.exports,
  mod.exports,
  require,
  mod,
  manifest.tsFile,
  path.dirname(manifest.tsFile),
  lookup
);
const ts = mod.exports;

// A root file as tslab's converter starts with, in an empty directory (its rootDir).
const dir = manifest.options.rootDir;
const root = path.join(dir, '__tslab__.ts');
fs.writeFileSync(root, 'export {};\n');
// TypeScript's `sys` remembers the first working directory it is asked for: were it asked
// here, every kernel started from the snapshot would compile in this directory. The host
// answers instead, and a question that still reaches Node fails the build.
const host = ts.createCompilerHost(manifest.options);
host.getCurrentDirectory = () => dir;
const cwd = process.cwd;
process.cwd = () => {
  throw new Error('TypeScript asked for the working directory while the snapshot was built');
};
try {
  const program = ts.createProgram([root], manifest.options, host);
  program.getTypeChecker(); // binds every file
  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile) {
      prepared.set(file.fileName, {
        file,
        languageVersion: file.languageVersion,
        impliedNodeFormat: file.impliedNodeFormat,
        setParentNodes: false,
        scriptKind: undefined
      });
    }
  }
} finally {
  process.cwd = cwd;
}
fs.rmSync(root);

globalThis[Symbol.for('nbx.tslabSnapshot')] = {
  key: manifest.key,
  tsFile: manifest.tsFile,
  ts,
  files: prepared.size,
  counts
};
