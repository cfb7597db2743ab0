/**
 * Notebook cells that print, as one JSON line, what a kernel sees at its start (environment,
 * working directory, command line, GPUs, where imports resolve), with the run's own id and
 * directory replaced: the same line from a warm kernel and a cold one means equivalent.
 * The tslab probe reads a flag `x` and a module `helper`; the Python one too.
 */
/** What a kernel sees, as one JSON line, with the run's own id and directory replaced. */
export const TSLAB_PROBE = [
  'const runDir = process.env.NBX_RUN_DIR as string;',
  'const runId = process.env.NBX_RUN_ID as string;',
  'const norm = (s: string): string =>',
  "  s.split(runDir).join('<run>').split(runId).join('<id>')",
  "    .replace(/kernel-[\\w-]+\\.json/, 'kernel.json');",
  'const env: Record<string, string> = {};',
  "for (const k of Object.keys(process.env).sort()) env[k] = norm(process.env[k] ?? '');",
  "const gpus = require('child_process').execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8' });",
  'console.log(JSON.stringify({',
  '  x, cwd: norm(process.cwd()), argv: process.argv.map(norm), env, gpus,',
  "  nbx: norm(require.resolve('nbx')), helper: helper.where()",
  '}));'
].join('\n');

export const PYTHON_PROBE = [
  'import json, os, re, subprocess, sys, helper',
  "run_dir, run_id = os.environ['NBX_RUN_DIR'], os.environ['NBX_RUN_ID']",
  "norm = lambda s: re.sub(r'kernel-[\\w-]+\\.json', 'kernel.json', s.replace(run_dir, '<run>').replace(run_id, '<id>'))",
  "gpus = subprocess.run(['nvidia-smi', '-L'], capture_output=True, text=True).stdout",
  "print(json.dumps({'x': x, 'cwd': norm(os.getcwd()), 'argv': [norm(a) for a in sys.argv],",
  "  'env': {k: norm(v) for k, v in sorted(os.environ.items())}, 'gpus': gpus,",
  "  'path': [norm(p) for p in sys.path], 'helper': norm(helper.__file__)}))"
].join('\n');
