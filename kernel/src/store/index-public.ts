/**
 * The public table of the runs index, made from the stored one at every load: hidden
 * columns dropped, the status made effective (a `running`/`queued` run whose runner is
 * gone reads `terminated`) and `duration` computed against the clock.
 */
import * as fs from 'node:fs';

import { arrow, type Table, type Vector } from './index-arrow';
import { HIDDEN, META_KIND } from './index-build';
import {
  CORE_COLUMNS,
  columnFamily,
  dictionaryFromCodes,
  float64Vector,
  numberReader,
  type ColumnFamily,
  type ColumnKind
} from './index-columns';
import { isProcessAlive } from './process';

/** A column of the public table. */
export interface IIndexColumn {
  name: string;
  family: ColumnFamily;
  kind: ColumnKind;
}

/** A table of single-chunk `vectors` under `fields`, `length` rows. */
export function tableOf(
  fields: InstanceType<typeof arrow.Field>[],
  vectors: Vector[],
  length: number,
  metadata?: Map<string, string>
): Table {
  const schema = new arrow.Schema(fields, metadata);
  const data = arrow.makeData({
    type: new arrow.Struct(schema.fields),
    length,
    nullCount: 0,
    children: vectors.map((v, i) =>
      v.data.length === 1 ? v.data[0] : arrow.makeData({ type: fields[i].type, length: 0 })
    )
  });
  return new arrow.Table([new arrow.RecordBatch(schema, data)]);
}

/**
 * The public table of a stored one: hidden columns dropped, `status` made effective, and
 * `duration` computed (after `stopped`).
 */
export function publicTable(
  stored: Table,
  hostname: string,
  now: number
): { table: Table; columns: IIndexColumn[] } {
  const n = stored.numRows;
  const fields: InstanceType<typeof arrow.Field>[] = [];
  const vectors: Vector[] = [];
  const columns: IIndexColumn[] = [];
  const push = (
    field: InstanceType<typeof arrow.Field>,
    vector: Vector,
    kind: ColumnKind
  ): void => {
    fields.push(field);
    vectors.push(vector);
    columns.push({ name: field.name, family: columnFamily(field.name), kind });
  };
  const recorded = stored.getChild('status');
  const { status, dead } = recorded
    ? effectiveStatuses(stored, recorded, hostname)
    : { status: null, dead: new Set<number>() };
  for (const field of stored.schema.fields) {
    if (field.name.startsWith('_')) {
      continue;
    }
    const vector = field.name === 'status' ? status : stored.getChild(field.name);
    if (!vector) {
      continue;
    }
    push(field, vector, (field.metadata.get(META_KIND) ?? 'string') as ColumnKind);
    if (field.name === 'stopped') {
      // A run still going counts until now; one whose runner died, until its record was
      // last written (the runner's last sign of life), not forever.
      const started = numberReader(stored.getChild('started') ?? vector);
      const stopped = numberReader(vector);
      const written = numberReader(stored.getChild(HIDDEN.mtime) ?? vector);
      const end = (row: number): number =>
        stopped(row) ?? (dead.has(row) ? (written(row) ?? now) : now);
      const seconds = new Float64Array(n);
      const valid = new Uint8Array((n + 7) >> 3);
      let nulls = 0;
      for (let row = 0; row < n; row++) {
        const start = started(row);
        if (start === null) {
          nulls++;
        } else {
          seconds[row] = Math.max(0, end(row) - start) / 1000;
          valid[row >> 3] |= 1 << (row & 7);
        }
      }
      const durationField = new arrow.Field(
        'duration',
        new arrow.Float64(),
        true,
        new Map([[META_KIND, CORE_COLUMNS.duration]])
      );
      push(durationField, float64Vector(seconds, valid, nulls), 'number');
    }
  }
  return { table: tableOf(fields, vectors, n, stored.schema.metadata), columns };
}

const HAS_PROC = fs.existsSync('/proc/self/stat');

/** `isProcessAlive`, answering the common "long gone" case from /proc without a signal. */
function runnerAlive(pid: number, start: string | null): boolean {
  if (HAS_PROC && !fs.existsSync(`/proc/${pid}`)) {
    return false;
  }
  return isProcessAlive(pid, start);
}

/**
 * The status column with a `running`/`queued` run whose runner is gone read as
 * `terminated` (the rule of `effectiveStatus` in runs.ts, on the stored pid fields), and
 * the rows of those runs (`dead`). The stored column is dictionary-encoded, so this only
 * patches codes.
 */
function effectiveStatuses(
  stored: Table,
  status: Vector,
  hostname: string
): { status: Vector; dead: Set<number> } {
  const dead = new Set<number>();
  const chunk = status.data[0];
  if (status.data.length !== 1 || !chunk.dictionary || !(chunk.values instanceof Int8Array)) {
    return { status, dead };
  }
  const values = [...(chunk.dictionary as Vector)] as string[];
  const running = values.indexOf('running');
  const queued = values.indexOf('queued');
  let terminated = values.indexOf('terminated');
  const stored8 = chunk.values.subarray(chunk.offset, chunk.offset + chunk.length);
  const pids = numberReader(stored.getChild(HIDDEN.pid) ?? status);
  const starts = stored.getChild(HIDDEN.pidStart);
  const hosts = stored.getChild(HIDDEN.host);
  let codes: Int8Array | null = null;
  for (let row = 0; row < stored8.length; row++) {
    const code = stored8[row];
    if (code !== running && code !== queued) {
      continue;
    }
    const pid = pids(row);
    if (pid === null || hosts?.get(row) !== hostname) {
      continue;
    }
    const start: unknown = starts?.get(row);
    if (!runnerAlive(pid, typeof start === 'string' ? start : null)) {
      codes ??= stored8.slice();
      if (terminated < 0) {
        terminated = values.push('terminated') - 1;
      }
      codes[row] = terminated;
      dead.add(row);
    }
  }
  const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : null;
  if (!codes || (bitmap && chunk.offset !== 0)) {
    return { status, dead }; // (an offset bitmap is never written; keep what is recorded)
  }
  return { status: dictionaryFromCodes(codes, values, bitmap, chunk.nullCount), dead };
}
