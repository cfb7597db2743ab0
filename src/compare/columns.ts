/**
 * Reading the columns of a comparison's Arrow table straight from their buffers: one
 * cell for the grid (only the cells on screen are read), and a whole column as sort keys
 * (one number per row, NaN for a null), from which sorting, "differs" and best values
 * are computed without building a row object.
 *
 * Column names follow the runs index (`nbx compare --arrow`): core columns plain (`id`,
 * `status`, `started`), a flag `=name`, an attribute `.name`, a metric `#key`,
 * `#key:min`, `#key:max`. The index stores each column's kind in the field metadata
 * `nbx.kind`; a table without it has its kinds read from the Arrow types.
 */
import { DataType, TimeUnit, type Data, type Field, type Vector } from 'apache-arrow';

/** What a column holds; `time` is ms since the epoch, `list` a list of strings (tags). */
export type ColumnKind = 'number' | 'time' | 'bool' | 'string' | 'list';

/** One cell as the grid and the CSV see it (times as ms since the epoch). */
export type CellValue = number | string | boolean | string[] | null;

/** A column of the table, read from its vector. */
export interface IColumnReader {
  readonly name: string;
  readonly kind: ColumnKind;
  /** The cell of table row `row`. */
  cell(row: number): CellValue;
  /**
   * One number per table row ordering the rows from first to last when sorted ascending
   * (numbers, times, booleans as 0/1, strings and lists as their rank), NaN for nulls
   * and NaN values. Computed once.
   */
  sortKeys(): Float64Array;
}

/** The kind of a column from the index's `nbx.kind` metadata, else from its Arrow type. */
export function columnKind(field: Field): ColumnKind {
  switch (field.metadata.get('nbx.kind')) {
    case 'number':
      return 'number';
    case 'time':
      return 'time';
    case 'bool':
      return 'bool';
    case 'list':
      return 'list';
    case undefined:
      break;
    default:
      return 'string';
  }
  const type = field.type;
  if (DataType.isTimestamp(type) || DataType.isDate(type)) {
    return 'time';
  }
  if (DataType.isFloat(type) || DataType.isInt(type)) {
    return 'number';
  }
  if (DataType.isBool(type)) {
    return 'bool';
  }
  return DataType.isList(type) ? 'list' : 'string';
}

/** A reader over `vector`, the column `field` of a table. */
export function columnReader(field: Field, vector: Vector): IColumnReader {
  const kind = columnKind(field);
  const cell = cellReader(kind, vector);
  let keys: Float64Array | null = null;
  return {
    name: field.name,
    kind,
    cell,
    sortKeys: () => (keys ??= sortKeysOf(kind, cell, vector.length))
  };
}

/** Strings are ranked in a natural order: `run-9` before `run-10`, case folded. */
const COLLATOR = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function sortKeysOf(kind: ColumnKind, cell: (row: number) => CellValue, n: number): Float64Array {
  const keys = new Float64Array(n);
  if (kind === 'number' || kind === 'time' || kind === 'bool') {
    for (let row = 0; row < n; row++) {
      const v = cell(row);
      keys[row] = v === null ? NaN : Number(v);
    }
    return keys;
  }
  // Strings: rank the distinct values once, then look every row's rank up.
  const texts: (string | null)[] = new Array<string | null>(n);
  const distinct = new Set<string>();
  for (let row = 0; row < n; row++) {
    const v = cell(row);
    const text = v === null ? null : Array.isArray(v) ? v.join(', ') : String(v);
    texts[row] = text;
    if (text !== null) {
      distinct.add(text);
    }
  }
  const ranked = [...distinct].sort((a, b) => COLLATOR.compare(a, b) || (a < b ? -1 : 1));
  const rank = new Map(ranked.map((text, i) => [text, i]));
  for (let row = 0; row < n; row++) {
    const text = texts[row];
    keys[row] = text === null ? NaN : (rank.get(text) as number);
  }
  return keys;
}

/**
 * Reads cells from the chunks' buffers (the chunk of a row found by its start), or, for a
 * type without a fast path here, through Arrow's `get`.
 */
function cellReader(kind: ColumnKind, vector: Vector): (row: number) => CellValue {
  const chunks = vector.data;
  const readers = chunks.map(chunk => chunkReader(kind, chunk));
  if (!readers.every((r): r is (row: number) => CellValue => r !== null)) {
    return row => fromValue(kind, vector.get(row));
  }
  if (readers.length === 1) {
    return readers[0];
  }
  const starts = new Uint32Array(chunks.length);
  for (let c = 1; c < chunks.length; c++) {
    starts[c] = starts[c - 1] + chunks[c - 1].length;
  }
  return row => {
    let c = chunks.length - 1;
    while (c > 0 && starts[c] > row) {
      c--;
    }
    return readers[c](row - starts[c]);
  };
}

/** A reader of one chunk's buffers, or null when its type has no fast path here. */
function chunkReader(kind: ColumnKind, chunk: Data): ((row: number) => CellValue) | null {
  const offset = chunk.offset;
  const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : null;
  const isNull = (i: number): boolean => !!bitmap && (bitmap[i >> 3] & (1 << (i & 7))) === 0;
  const values: unknown = chunk.values;
  const type = chunk.type;
  if ((kind === 'number' || kind === 'time') && values instanceof Float64Array) {
    return row => {
      const i = offset + row;
      return isNull(i) || Number.isNaN(values[i]) ? null : values[i];
    };
  }
  if (
    kind === 'time' &&
    values instanceof BigInt64Array &&
    DataType.isTimestamp(type) &&
    type.unit === TimeUnit.MILLISECOND
  ) {
    return row => {
      const i = offset + row;
      return isNull(i) ? null : Number(values[i]);
    };
  }
  if (kind === 'bool' && DataType.isBool(type) && values instanceof Uint8Array) {
    return row => {
      const i = offset + row;
      return isNull(i) ? null : (values[i >> 3] & (1 << (i & 7))) !== 0;
    };
  }
  if (DataType.isUtf8(type) && chunk.valueOffsets && values instanceof Uint8Array) {
    return utf8Reader(chunk, values, isNull);
  }
  if (DataType.isDictionary(type) && chunk.dictionary) {
    // Decode the dictionary once; rows are codes into it.
    const dictionary = [...chunk.dictionary].map(v => (v === null ? null : String(v)));
    const codes = values as ArrayLike<number>;
    return row => {
      const i = offset + row;
      return isNull(i) ? null : (dictionary[codes[i]] ?? null);
    };
  }
  return null;
}

/**
 * Reads a Utf8 chunk. An all-ASCII chunk (ids, statuses, most names and flag values) is
 * decoded once as a whole on first use and sliced, since decoding cell by cell costs
 * about a microsecond per cell.
 */
function utf8Reader(
  chunk: Data,
  bytes: Uint8Array,
  isNull: (i: number) => boolean
): (row: number) => CellValue {
  const offsets = chunk.valueOffsets as Int32Array;
  const offset = chunk.offset;
  const decoder = new TextDecoder();
  let whole: string | null | undefined;
  return row => {
    const i = offset + row;
    if (isNull(i)) {
      return null;
    }
    if (whole === undefined) {
      const used = bytes.subarray(offsets[offset], offsets[offset + chunk.length]);
      whole = used.every(b => b < 0x80) ? decoder.decode(used) : null;
    }
    if (whole === null) {
      return decoder.decode(bytes.subarray(offsets[i], offsets[i + 1]));
    }
    const base = offsets[offset];
    return whole.slice(offsets[i] - base, offsets[i + 1] - base);
  };
}

function fromValue(kind: ColumnKind, value: unknown): CellValue {
  if (value === null || value === undefined) {
    return null;
  }
  switch (kind) {
    case 'number':
    case 'time': {
      const n = Number(value);
      return Number.isNaN(n) ? null : n;
    }
    case 'bool':
      return Boolean(value);
    case 'list':
      return [...(value as Iterable<unknown>)].filter(v => v !== null).map(String);
    default:
      return String(value);
  }
}
