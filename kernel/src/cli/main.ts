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
  nbx log 1 --follow                        its output, as it is written
  nbx stop 1                                stop it

A RUN is a full id, a unique id prefix, or a 1-based index into \`nbx runs\`.
Runs live in $NBX_HOME if set, else in .nbx/ of the project (the nearest
directory holding .nbx/, nbx.json or .git).`
    );
  addRunCommands(program);
  addInspectCommands(program);
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
