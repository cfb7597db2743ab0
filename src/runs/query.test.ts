/**
 * The Runs panel filters and sorts the runs it holds itself (query.ts, with the engine's
 * evaluator): the rows it shows must be those `nbx runs --where/--sort` lists, in the
 * same order, on the same runs — compared against the real CLI. Columns the panel does
 * not hold (flags, other scalars) are listed once, then evaluated in the browser too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateRuns } from '../../kernel/lib/bench/gen-runs';
import { nbx } from '../../kernel/lib/testing/fixtures';
import { countingListings, LocalConnection, tempProject } from '../testing/service';
import { RunsModel, type IRunsSort } from './model';

/** The ids `nbx runs --json` lists with `args`, in its order. */
function cliIds(cwd: string, env: NodeJS.ProcessEnv, args: string[]): string[] {
  const result = nbx(['runs', '--json', ...args], { cwd, env });
  assert.equal(result.status, 0, result.stderr);
  return (JSON.parse(result.stdout) as { id: string }[]).map(run => run.id);
}

describe('RunsModel: filter and sort in the browser', () => {
  const project = tempProject();
  generateRuns(project.root, { count: 120, seed: 5 });
  const connection = new LocalConnection(project);
  /** The `listRuns` params sent, in order. */
  const { service, listings } = countingListings(connection);
  const model = new RunsModel({ service });

  /** Sets the filter and sort; resolves once a listing they asked for (if any) is in. */
  async function show(filter: string, sort: IRunsSort | null): Promise<void> {
    model.filter = filter;
    model.sort = sort;
    while (model.loading) {
      await new Promise<void>(resolve => {
        const onState = (): void => {
          model.stateChanged.disconnect(onState);
          resolve();
        };
        model.stateChanged.connect(onState);
      });
    }
  }

  before(() => model.refresh());
  after(() => {
    model.dispose();
    connection.dispose();
  });

  const cases: [string, IRunsSort | null][] = [
    ['status = completed', null],
    ['', { column: '#loss', descending: false }],
    ['', { column: 'duration', descending: true }],
    ['', { column: 'label', descending: false }],
    ['', { column: 'started', descending: true }],
    [
      'status in [completed, error] and notebook != eval.ipynb',
      { column: '#loss', descending: true }
    ],
    ['tags contains best or label contains "a"', { column: 'label', descending: true }],
    ['started > 2025-01-01 and not status = error', { column: 'notebook', descending: false }],
    ['#loss < 0.5 or duration is null', null]
  ];
  for (const [where, sort] of cases) {
    const spec = sort ? `${sort.descending ? '-' : ''}${sort.column}` : '';
    it(`shows what nbx runs --where '${where}' --sort '${spec}' lists, without a request`, async () => {
      listings.length = 0;
      await show(where, sort);
      assert.equal(model.error, null);
      assert.deepEqual(listings, [], 'filtered and sorted in the browser');
      const args = [...(where ? ['--where', where] : []), ...(spec ? ['--sort', spec] : [])];
      const expected = cliIds(project.dir, project.env, args);
      assert.ok(expected.length > 0);
      assert.deepEqual(model.listedIds, expected);
    });
  }

  it('lists a column it does not hold once (a flag), then filters and sorts in the browser', async () => {
    listings.length = 0;
    await show('lr >= 0.001 and optimizer = adam', { column: 'lr', descending: true });
    assert.equal(model.error, null);
    assert.equal(listings.length, 1, 'one listing, for the flags');
    assert.equal(listings[0].where, undefined);
    assert.equal(listings[0].sort, undefined);
    assert.ok(listings[0].columns?.includes('=lr') && listings[0].columns.includes('=optimizer'));
    assert.deepEqual(
      model.listedIds,
      cliIds(project.dir, project.env, [
        '--where',
        'lr >= 0.001 and optimizer = adam',
        '--sort',
        '-lr'
      ])
    );
    listings.length = 0;
    await show('lr < 0.001', { column: 'lr', descending: false });
    assert.deepEqual(listings, []);
    assert.deepEqual(
      model.listedIds,
      cliIds(project.dir, project.env, ['--where', 'lr < 0.001', '--sort', 'lr'])
    );
  });

  it("says what is wrong with a bad filter in the engine's words, keeping the rows", async () => {
    await show('status = completed', null);
    const rows = model.listedIds;
    await show('status >> completed', null);
    const cli = nbx(['runs', '--where', 'status >> completed'], {
      cwd: project.dir,
      env: project.env
    });
    assert.notEqual(cli.status, 0);
    assert.equal(
      model.error,
      "invalid where 'status >> completed': unexpected '>' at column 9 (expected a value)"
    );
    assert.ok(cli.stderr.includes("'status >> completed': unexpected '>' at column 9"));
    assert.deepEqual(model.listedIds, rows);
    await show('nonesuch > 1', null);
    assert.match(model.error ?? '', /^invalid where 'nonesuch > 1': unknown column 'nonesuch'/);
    await show('', null);
    assert.equal(model.error, null);
    assert.equal(model.rowCount, 120);
  });
});
