/**
 * Commands that annotate runs after the fact: `nbx tag`, `nbx label`, `nbx comment`.
 */
import * as os from 'os';
import type { Command } from 'commander';
import { UserError } from '../../base/errors';
import { resolveRunRef } from '../../store/runs';
import { applyTagChanges } from '../../store/tags';
import { runsRootHere } from '../root';
import { shortId } from '../format';

export function addAnnotateCommands(program: Command): void {
  program
    .command('tag')
    .description('add (+tag) or remove (-tag) tags of a run')
    .argument('<run>', 'run id, id prefix, or index from nbx runs')
    .argument('<changes...>', '+tag to add, -tag to remove (a bare tag adds)')
    .allowUnknownOption(true)
    .addHelpText('after', '\nExample:\n  nbx tag 1 +baseline -draft')
    .action((ref: string, changes: string[]) => {
      const run = resolveRunRef(runsRootHere(), ref);
      const meta = run.updateMeta(m => ({ ...m, tags: applyTagChanges(m.tags, changes) }));
      process.stdout.write(
        `${shortId(meta.id)} tags: ${meta.tags.length ? meta.tags.join(', ') : '(none)'}\n`
      );
    });

  program
    .command('label')
    .description('set the label of a run (an empty label clears it)')
    .argument('<run>', 'run id, id prefix, or index from nbx runs')
    .argument('<text...>', 'the new label')
    .action((ref: string, words: string[]) => {
      const run = resolveRunRef(runsRootHere(), ref);
      const text = words.join(' ').trim();
      const meta = run.updateMeta(m => ({ ...m, label: text === '' ? null : text }));
      process.stdout.write(`${shortId(meta.id)} label: ${meta.label ?? '(none)'}\n`);
    });

  program
    .command('comment')
    .description('add a timestamped comment to a run')
    .argument('<run>', 'run id, id prefix, or index from nbx runs')
    .argument('<text...>', 'the comment')
    .action((ref: string, words: string[]) => {
      const text = words.join(' ').trim();
      if (text === '') {
        throw new UserError('empty comment: give the text after the run');
      }
      const run = resolveRunRef(runsRootHere(), ref);
      const comment = { time: new Date().toISOString(), user: userName(), text };
      const meta = run.updateMeta(m => ({ ...m, comments: [...m.comments, comment] }));
      process.stdout.write(`${shortId(meta.id)}: ${meta.comments.length} comment(s)\n`);
    });
}

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
