/**
 * Every command `nbx --help` lists, given bad arguments — an unknown option, a missing
 * argument, one too many, an unknown run or notebook — answers in one style: `nbx: …` on
 * one line, at most one hint line after it, nothing on stdout, and exit status 2 (1 is a
 * run that failed).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { createRun } from '../store/run-dir';
import { cliProject } from '../testing/cli-project';
import { nbx, type ICliResult } from '../testing/fixtures';

/** The commands `nbx --help` lists, with the usage line of each one's help. */
function commands(run: (args: string[]) => ICliResult): { name: string; usage: string }[] {
  const help = run(['--help']);
  assert.equal(help.status, 0, help.stderr);
  const section = help.stdout.split(/^Commands:$/m)[1].split(/^\S/m)[0];
  const names = [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map(m => m[1]);
  assert.ok(names.length >= 15, `commands found: ${names.join(' ')}`);
  return names.map(name => {
    const own = run([name, '--help']);
    assert.equal(own.status, 0, `${name} --help: ${own.stderr}`);
    const usage = /^Usage: nbx (.*)$/m.exec(own.stdout);
    assert.ok(usage, `${name} --help has a usage line`);
    return { name, usage: usage[1] };
  });
}

/** Arguments standing for the usage's placeholders, each one wrong. */
function badArguments(usage: string): string[] {
  return [...usage.matchAll(/[<[](\w+)(\.\.\.)?[>\]]/g)]
    .filter(m => m[1] !== 'options' && m[1] !== 'flags')
    .map(m => {
      switch (m[1]) {
        case 'notebook':
          return 'no-such-notebook.ipynb';
        case 'run':
        case 'runs':
          return 'no-such-run';
        case 'command':
          return 'no-such-command';
        default:
          return 'x';
      }
    });
}

function assertUsageError(r: ICliResult, args: string[]): void {
  const what = `nbx ${args.join(' ')}`;
  assert.equal(r.status, 2, `${what}: exit status\n${r.stderr}`);
  assert.equal(r.stdout, '', `${what}: nothing on stdout`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.ok(lines.length <= 2, `${what}: one line and at most one hint, got:\n${r.stderr}`);
  assert.match(lines[0], /^nbx: \S/, `${what}: the nbx: prefix`);
  assert.doesNotMatch(r.stderr, /internal error|^\s+at /m, what);
}

describe('usage errors', () => {
  it('every command answers bad arguments with one nbx: line and exit status 2', () => {
    const { dir, home, env } = cliProject();
    // A run to look past: a bad reference is then "no run matches", not "no runs yet".
    createRun(home, { notebook: path.join(dir, 'train.ipynb') }).updateMeta({
      status: 'completed'
    });
    const run = (args: string[]): ICliResult => nbx(args, { cwd: dir, env });
    const tried: string[][] = [['--bogus'], ['no-such-command'], ['rn']];
    for (const { name, usage } of commands(run)) {
      const args = badArguments(usage);
      tried.push([name, '--bogus']);
      tried.push([name, ...args, '--bogus-option=1']);
      if (/ </.test(usage)) {
        tried.push([name]);
      }
      if (!usage.includes('...')) {
        tried.push([name, ...args, 'one-too-many']);
      }
      if (args.length > 0) {
        tried.push([name, ...args]);
      }
    }
    for (const args of tried) {
      assertUsageError(run(args), args);
    }
    const unknown = run(['runs', '--bogs']);
    assert.deepEqual(unknown.stderr.trimEnd().split('\n'), [
      "nbx: unknown option '--bogs'",
      "see 'nbx runs --help'"
    ]);
    const typo = run(['rm', '--forc', 'x']);
    assert.deepEqual(typo.stderr.trimEnd().split('\n'), [
      "nbx: unknown option '--forc'",
      '(Did you mean --force?)'
    ]);
  });

  it('help and the version are no errors; nbx alone shows the help', () => {
    const { dir, env } = cliProject();
    for (const args of [[], ['--help'], ['help'], ['help', 'run'], ['run', '--help'], ['-V']]) {
      const r = nbx(args, { cwd: dir, env });
      assert.equal(r.status, 0, `nbx ${args.join(' ')}: ${r.stderr}`);
      assert.notEqual(r.stdout, '');
      assert.equal(r.stderr, '');
    }
  });
});
