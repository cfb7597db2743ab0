/**
 * The columns of the runs index: their names, what kind of values they hold, and how
 * flag/attribute values of runs become cells.
 *
 * Names: core columns are plain (`id`, `status`, `duration`, ...); a flag is `=<flag>`,
 * an attribute recorded with `nbx.attr` is `.<name>`, a scalar summary is `#<key>` (the
 * last value), `#<key>:min`, `#<key>:max` and `#<key>:step` (the step of the last value).
 */
import { isAscii } from 'node:buffer';

import type { JSONValue } from '../base/json';
import { arrow, type DataType, type Vector } from './index-arrow';

/** Where a column comes from. */
export type ColumnFamily = 'core' | 'flag' | 'attr' | 'scalar';

/** One cell as JavaScript sees it: times are ms since the epoch, tags a string list. */
export type CellValue = number | string | boolean | string[] | null;

export { CORE_COLUMNS, isCoreColumn, type ColumnKind } from './core-columns';
import type { ColumnKind } from './core-columns';

/** The summaries of a scalar key the index keeps; `step` is the step of the last value. */
export const SCALAR_STATS = ['last', 'min', 'max', 'step'] as const;

/** One of `SCALAR_STATS`. */
export type ScalarStat = (typeof SCALAR_STATS)[number];

/** `#key` for the last value, `#key:min`, `#key:max`, `#key:step`. */
export function scalarColumnName(key: string, stat: ScalarStat): string {
  return stat === 'last' ? `#${key}` : `#${key}:${stat}`;
}

/**
 * The key and statistic of a scalar column name (`#loss:min` → loss, min; `#loss` → loss,
 * last), or null for another column. A key may hold colons (`#a:b` is key `a:b`, last).
 */
export function parseScalarColumn(name: string): { key: string; stat: ScalarStat } | null {
  const match = /^#(.*?)(?::(min|max|step))?$/.exec(name);
  return match ? { key: match[1], stat: (match[2] as ScalarStat | undefined) ?? 'last' } : null;
}

/** The family of a column, from its name's first character. */
export function columnFamily(name: string): ColumnFamily {
  switch (name[0]) {
    case '=':
      return 'flag';
    case '.':
      return 'attr';
    case '#':
      return 'scalar';
    default:
      return 'core';
  }
}

/** The kind of one JSON value (a flag or attribute value). */
export function valueKind(value: JSONValue | undefined): ColumnKind {
  if (value === null || value === undefined) {
    return 'null';
  }
  switch (typeof value) {
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    default:
      return 'json';
  }
}

/** The kind of a column holding values of kinds `a` and `b`. */
export function mergeKinds(a: ColumnKind, b: ColumnKind): ColumnKind {
  if (a === b || b === 'null') {
    return a;
  }
  return a === 'null' ? b : 'mixed';
}

/**
 * The cell of a flag/attribute value in a column of `kind` (see `mergeKinds`): numbers,
 * strings and booleans as they are in typed columns; lists and objects as JSON text; in a
 * `mixed` column every value as text (`0.01`, `true`, `adam`, `[64,32]`).
 */
export function valueCell(value: JSONValue | undefined, kind: ColumnKind): CellValue {
  if (value === null || value === undefined) {
    return null;
  }
  if (kind === 'number' || kind === 'bool') {
    return value as number | boolean;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The Arrow type of a column of `kind`. */
export function arrowType(kind: ColumnKind): DataType {
  switch (kind) {
    case 'number':
      return new arrow.Float64();
    case 'bool':
      return new arrow.Bool();
    case 'time':
      return new arrow.TimestampMillisecond();
    case 'list':
      return new arrow.List(new arrow.Field('item', new arrow.Utf8(), true));
    default:
      return new arrow.Utf8();
  }
}

/** A Float64 vector over `values`, where `valid` (a bitmap, or null for all) marks non-nulls. */
export function float64Vector(
  values: Float64Array,
  valid: Uint8Array | null,
  nullCount: number
): Vector {
  return arrow.makeVector(
    arrow.makeData({
      type: new arrow.Float64(),
      length: values.length,
      nullCount,
      nullBitmap: nullCount === 0 ? null : valid,
      data: values
    })
  );
}

/** A validity bitmap for `n` cells, `isValid` deciding each; null when none is null. */
function validity(
  n: number,
  isValid: (i: number) => boolean
): { bitmap: Uint8Array; nulls: number } {
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (isValid(i)) {
      bitmap[i >> 3] |= 1 << (i & 7);
    } else {
      nulls++;
    }
  }
  return { bitmap, nulls };
}

/**
 * Utf8 data of `texts` built in one pass (Arrow's generic builder encodes string by string,
 * several times slower on 10,000-row columns).
 */
function utf8Data(texts: readonly (string | null)[]): InstanceType<typeof arrow.Data> {
  const n = texts.length;
  const offsets = new Int32Array(n + 1);
  const joined = texts.map(t => t ?? '').join('');
  const bytes = Buffer.from(joined, 'utf8');
  const ascii = bytes.length === joined.length;
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const text = texts[i];
    if (text === null) {
      nulls++;
    } else {
      bitmap[i >> 3] |= 1 << (i & 7);
      offset += ascii ? text.length : Buffer.byteLength(text, 'utf8');
    }
    offsets[i + 1] = offset;
  }
  return arrow.makeData({
    type: new arrow.Utf8(),
    length: n,
    nullCount: nulls,
    nullBitmap: nulls === 0 ? null : bitmap,
    valueOffsets: offsets,
    data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)
  });
}

/** A Utf8 vector of `texts`. */
export function utf8Vector(texts: readonly (string | null)[]): Vector {
  return arrow.makeVector(utf8Data(texts));
}

/**
 * A dictionary-encoded Utf8 vector (Int8 codes) of `texts` over the fixed `dictionary`;
 * a text not in it is added after the given values.
 */
export function dictionaryVector(
  texts: readonly (string | null)[],
  dictionary: readonly string[]
): Vector {
  const values = [...dictionary];
  const codes = new Int8Array(texts.length);
  texts.forEach((text, i) => {
    if (text !== null) {
      let code = values.indexOf(text);
      if (code < 0) {
        code = values.push(text) - 1;
      }
      codes[i] = code;
    }
  });
  const { bitmap, nulls } = validity(codes.length, i => texts[i] !== null);
  return dictionaryFromCodes(codes, values, bitmap, nulls);
}

/** A dictionary vector from its codes and values; `bitmap` marks the non-null rows. */
export function dictionaryFromCodes(
  codes: Int8Array,
  values: readonly string[],
  bitmap: Uint8Array | null,
  nulls: number
): Vector {
  return arrow.makeVector(
    arrow.makeData({
      type: new arrow.Dictionary(new arrow.Utf8(), new arrow.Int8()),
      length: codes.length,
      nullCount: nulls,
      nullBitmap: nulls === 0 ? null : bitmap,
      data: codes,
      dictionary: utf8Vector(values)
    })
  );
}

/** A number or time vector from `values`, where NaN means null. */
export function numbersVector(kind: ColumnKind, values: Float64Array): Vector {
  const n = values.length;
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (values[i] === values[i]) {
      bitmap[i >> 3] |= 1 << (i & 7);
    } else {
      nulls++; // NaN
    }
  }
  if (kind !== 'time') {
    return float64Vector(values, bitmap, nulls);
  }
  const ms = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isNaN(values[i])) {
      ms[i] = BigInt(Math.round(values[i]));
    }
  }
  return arrow.makeVector(
    arrow.makeData({
      type: new arrow.TimestampMillisecond(),
      length: n,
      nullCount: nulls,
      nullBitmap: nulls === 0 ? null : bitmap,
      data: ms
    })
  );
}

/** A vector of `kind` from plain cells (nulls allowed); built without Arrow's builders. */
export function vectorOf(kind: ColumnKind, cells: readonly CellValue[]): Vector {
  const n = cells.length;
  switch (kind) {
    case 'number':
    case 'time': {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const cell = cells[i];
        values[i] = typeof cell === 'number' ? cell : NaN;
      }
      return numbersVector(kind, values);
    }
    case 'bool': {
      const { bitmap: values } = validity(n, i => cells[i] === true);
      const { bitmap, nulls } = validity(n, i => typeof cells[i] === 'boolean');
      return arrow.makeVector(
        arrow.makeData({
          type: new arrow.Bool(),
          length: n,
          nullCount: nulls,
          nullBitmap: nulls === 0 ? null : bitmap,
          data: values
        })
      );
    }
    case 'list': {
      const offsets = new Int32Array(n + 1);
      const items: string[] = [];
      cells.forEach((cell, i) => {
        if (Array.isArray(cell)) {
          items.push(...cell);
        }
        offsets[i + 1] = items.length;
      });
      const { bitmap, nulls } = validity(n, i => Array.isArray(cells[i]));
      return arrow.makeVector(
        arrow.makeData({
          type: arrowType('list') as InstanceType<typeof arrow.List>,
          length: n,
          nullCount: nulls,
          nullBitmap: nulls === 0 ? null : bitmap,
          valueOffsets: offsets,
          child: utf8Data(items)
        })
      );
    }
    default:
      return utf8Vector(cells.map(cell => (cell === null ? null : String(cell))));
  }
}

/**
 * Reads numbers from a Float64 (or timestamp) vector fast: one chunk is read straight from
 * its buffers, anything else through `get`.
 */
export function numberReader(vector: Vector): (row: number) => number | null {
  const data = vector.data;
  if (data.length === 1 && data[0].values instanceof Float64Array) {
    const chunk = data[0];
    const values = chunk.values as Float64Array;
    const offset = chunk.offset;
    const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : null;
    if (!bitmap) {
      return row => values[offset + row];
    }
    return row => {
      const i = offset + row;
      return (bitmap[i >> 3] & (1 << (i & 7))) === 0 ? null : values[i];
    };
  }
  if (data.length === 1 && data[0].values instanceof BigInt64Array) {
    const chunk = data[0];
    const values = chunk.values as BigInt64Array;
    const offset = chunk.offset;
    const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : null;
    return row => {
      const i = offset + row;
      return bitmap && (bitmap[i >> 3] & (1 << (i & 7))) === 0 ? null : Number(values[i]);
    };
  }
  return row => {
    const value: unknown = vector.get(row);
    return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : null;
  };
}

/** Reads one cell of a vector of `kind` as a `CellValue`. */
export function cellReader(vector: Vector, kind: ColumnKind): (row: number) => CellValue {
  if (kind === 'number' || kind === 'time') {
    return numberReader(vector);
  }
  if (kind === 'list') {
    return row => {
      const list: unknown = vector.get(row);
      if (list === null || list === undefined) {
        return null;
      }
      return [...(list as Iterable<string | null>)].filter((s): s is string => s !== null);
    };
  }
  const data = vector.data;
  if (data.length === 1 && arrow.DataType.isUtf8(data[0].type) && data[0].valueOffsets) {
    return utf8Reader(vector);
  }
  if (data.length === 1 && data[0].dictionary && data[0].values instanceof Int8Array) {
    const chunk = data[0];
    const codes = chunk.values as Int8Array;
    const offset = chunk.offset;
    const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : null;
    const values = [...(chunk.dictionary as Vector)] as CellValue[];
    return row => {
      const i = offset + row;
      return bitmap && (bitmap[i >> 3] & (1 << (i & 7))) === 0 ? null : values[codes[i]];
    };
  }
  return row => {
    const value: unknown = vector.get(row);
    return value === undefined ? null : (value as CellValue);
  };
}

/**
 * Reads a one-chunk Utf8 vector. An all-ASCII column (ids, statuses, most names) is
 * decoded once as a whole on first use and sliced, instead of decoding cell by cell.
 */
function utf8Reader(vector: Vector): (row: number) => CellValue {
  const chunk = vector.data[0];
  const offsets = chunk.valueOffsets as Int32Array;
  const bytes = chunk.values as Uint8Array;
  const offset = chunk.offset;
  const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : null;
  let whole: string | null | undefined;
  return row => {
    const i = offset + row;
    if (bitmap && (bitmap[i >> 3] & (1 << (i & 7))) === 0) {
      return null;
    }
    if (whole === undefined) {
      const start = offsets[offset];
      const used = bytes.subarray(start, offsets[offset + chunk.length]);
      whole = isAscii(used)
        ? Buffer.from(used.buffer, used.byteOffset, used.length).toString('latin1')
        : null;
    }
    if (whole === null) {
      return vector.get(row) as string | null;
    }
    const base = offsets[offset];
    return whole.slice(offsets[i] - base, offsets[i + 1] - base);
  };
}
