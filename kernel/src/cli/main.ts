/**
 * `nbx`: the command line. Thin over the engine: parse, call, print.
 *
 * Every command module registers itself on the program. Errors a person caused — a
 * `UserError`, or commander's own (an unknown option or command, a missing argument) —
 * print as one line `nbx: …` (commander's with one hint line) and exit 2, the status of
 * bad usage (1 is a run that failed); anything else is a bug and prints its stack.
 */
import { Command, CommanderError } from 'commander';
import { isDiskFull, UserError } from '../base/errors';
import { nbxVersion } from '../base/paths';
type Registrar = (program: Command) => void;

/**
 * The modules that define the commands, loaded on demand: a command needs only its own
 * module (loading them all costs ~60 ms, a third of a warm `nbx runs`). Help, errors
 * and suggestions load every module.
 */
const MODULES: Record<string, () => Promise<Registrar>> = {
  run: async () => (await import('./commands/run')).addRunCommands,
  pipelines: async () => (await import('./commands/pipelines')).addPipelinesCommand,
  flags: async () => (await import('./commands/flags')).addFlagsCommand,
  runs: async () => (await import('./commands/runs')).addRunsCommand,
  inspect: async () => (await import('./commands/inspect')).addInspectCommands,
  compare: async () => (await import('./commands/compare')).addCompareCommand,
  scalars: async () => (await import('./commands/scalars')).addScalarsCommand,
  annotate: async () => (await import('./commands/annotate')).addAnnotateCommands,
  manage: async () => (await import('./commands/manage')).addManageCommands,
  start: async () => (await import('./commands/start')).addStartCommands,
  gpus: async () => (await import('./commands/gpus')).addGpusCommand,
  install: async () => (await import('./commands/install')).addInstallCommands
};

/** Which module defines each command. */
const COMMAND_MODULE: Record<string, string> = {
  run: 'run',
  _runner: 'run',
  _batch: 'run',
  _pipeline: 'run',
  _standby: 'run',
  pipelines: 'pipelines',
  flags: 'flags',
  runs: 'runs',
  show: 'inspect',
  log: 'inspect',
  compare: 'compare',
  scalars: 'scalars',
  tag: 'annotate',
  label: 'annotate',
  comment: 'annotate',
  stop: 'manage',
  rm: 'manage',
  start: 'start',
  restart: 'start',
  rerun: 'start',
  gpus: 'gpus',
  install: 'install',
  uninstall: 'install',
  doctor: 'install'
};

/** The program with the commands of `modules` (all of them by default). */
export async function buildProgram(modules = Object.keys(MODULES)): Promise<Command> {
  const program = new Command('nbx')
    .version(nbxVersion(), '-V, --version')
    .description('Run notebooks as tracked experiments, each in a fresh kernel, all recorded.')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false })
    .addHelpText(
      'after',
      `
Examples:
  nbx run examples/train.ipynb              run a notebook, wait, exit 0 if it completed
  nbx run train.ipynb --gpus 0,1 --detach   start on GPUs 0 and 1 and return at once
  nbx runs                                  list runs, latest first
  nbx show 1                                the latest run ([1] in the list)
  nbx run train.ipynb lr=0.001 --tag lr     run with a flag changed, tagged
  nbx flags train.ipynb                     the flags a notebook declares
  nbx log 1 --follow                        its output, as it is written
  nbx scalars 1                             its scalars: last, min, max per key
  nbx stop 1                                stop it
  nbx run train.ipynb 'lr=[0.001,0.01]' --parallel 2 --gpus 0,1
                                            a sweep of 2 trials, both at once, one GPU each
  nbx restart 1 --gpus 1                    run it again in place, on GPU 1
  nbx rerun 1 lr=0.1                        a new run from its snapshot, lr changed
  nbx pipelines                             the pipelines nbx.json declares
  nbx run end-to-end lr=0.1                 run one: its steps in order, each a run
  nbx install --sys-prefix                  add the kernels and the JupyterLab extension
                                            to the active Python environment's Jupyter

A RUN is a full id, a unique id prefix, or a 1-based index into \`nbx runs\`.
Runs live in $NBX_HOME if set, else in .nbx/ of the project (the nearest
directory holding .nbx/, nbx.json or .git).`
    );
  for (const name of modules) {
    (await MODULES[name]())(program);
  }
  addHelpCommand(program);
  reportUsageErrors(program);
  return program;
}

/** `nbx help [COMMAND]`, which (unlike commander's) calls an unknown command an error. */
function addHelpCommand(program: Command): void {
  program
    .helpCommand(false)
    .command('help [command]')
    .description('display help for command')
    .action((name?: string) => {
      const command = name === undefined ? program : program.commands.find(c => c.name() === name);
      if (command === undefined) {
        program.error(`unknown command '${name}'`, { code: 'commander.unknownCommand' });
      }
      command.outputHelp();
    });
}

/** Exit status of bad usage. */
const USAGE_EXIT = 2;

/**
 * Makes `command` and its subcommands throw instead of exiting, and print commander's
 * errors as nbx prints its own: `nbx: unknown option '--bogus'`, then one hint line
 * (commander's suggestion, else where the usage is).
 */
function reportUsageErrors(command: Command, name = command.name()): void {
  command.exitOverride().configureOutput({
    outputError: (text, write) => {
      const [message, suggestion] = text.trim().split('\n');
      const hint = suggestion ?? `see '${name} --help'`;
      write(`nbx: ${message.replace(/^error: /, '')}\n${hint}\n`);
    }
  });
  for (const sub of command.commands) {
    reportUsageErrors(sub, `${name} ${sub.name()}`);
  }
}

export async function main(argv: string[]): Promise<void> {
  // `nbx runs | head`: a closed pipe ends the listing quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') {
        process.exit(0);
      }
      throw err;
    });
  }
  const command = argv[2];
  const wanted = COMMAND_MODULE[command ?? ''];
  // The version needs no command module; help, errors and suggestions need them all.
  const version = argv.length === 3 && (command === '-V' || command === '--version');
  const program = await buildProgram(version ? [] : wanted ? [wanted] : undefined);
  if (command === undefined) {
    program.outputHelp();
    return;
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message (or the help, or the version).
    return err.exitCode === 0 ? 0 : USAGE_EXIT;
  }
  if (err instanceof UserError) {
    process.stderr.write(`nbx: ${err.message}\n`);
    return err.exitCode;
  }
  if (isDiskFull(err)) {
    // A write no layer named: say what failed, still in one line.
    const { code, path } = err as NodeJS.ErrnoException;
    process.stderr.write(`nbx: disk full: ${path ?? `a write failed (${code})`}\n`);
    return 2;
  }
  process.stderr.write(`nbx: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
  return 70;
}
