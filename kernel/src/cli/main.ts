/**
 * `nbx`: the command line. Thin over the engine: parse, call, print.
 *
 * Every command module registers itself on the program; errors a person
 * caused (`UserError`) print as one line and exit non-zero, anything else is
 * a bug and prints its stack.
 */
import { Command, CommanderError } from 'commander';
import { UserError } from '../errors';
import { nbxVersion } from '../store/meta';
import { addRunCommands } from './commands/run';
import { addInspectCommands } from './commands/inspect';
import { addManageCommands } from './commands/manage';
import { addGpusCommand } from './commands/gpus';
import { addFlagsCommand } from './commands/flags';
import { addAnnotateCommands } from './commands/annotate';
import { addScalarsCommand } from './commands/scalars';
import { addCompareCommand } from './commands/compare';

export function buildProgram(): Command {
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

A RUN is a full id, a unique id prefix, or a 1-based index into \`nbx runs\`.
Runs live in $NBX_HOME if set, else in .nbx/ of the project (the nearest
directory holding .nbx/, nbx.json or .git).`
    );
  addRunCommands(program);
  addFlagsCommand(program);
  addInspectCommands(program);
  addCompareCommand(program);
  addScalarsCommand(program);
  addAnnotateCommands(program);
  addManageCommands(program);
  addGpusCommand(program);
  program.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message (or the help).
    return err.exitCode;
  }
  if (err instanceof UserError) {
    process.stderr.write(`nbx: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`nbx: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
  return 70;
}
