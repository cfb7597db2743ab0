/**
 * A small CSV reader for batch files (RFC 4180: `,` separators, `"` quoting with `""`
 * for a quote, quoted values may span lines, LF or CRLF line ends, a UTF-8 BOM ignored).
 */

/** One value of a CSV record. `quoted` tells `""` (an empty string) from nothing. */
export interface ICsvCell {
  text: string;
  quoted: boolean;
}

/** One record, with the 1-based line of the file it starts on. */
export interface ICsvRecord {
  line: number;
  cells: ICsvCell[];
}

/** A CSV syntax error at a 1-based line. */
export class CsvSyntaxError extends Error {
  readonly line: number;

  constructor(line: number, message: string) {
    super(message);
    this.name = 'CsvSyntaxError';
    this.line = line;
  }
}

/**
 * The records of a CSV text. Blank lines (empty or only spaces) are skipped. Unquoted
 * values are trimmed of surrounding spaces; quoted ones are kept exactly. Throws a
 * `CsvSyntaxError` on an unterminated quoted value or text after a closing quote.
 */
export function parseCsv(input: string): ICsvRecord[] {
  const text = input.startsWith('\ufeff') ? input.slice(1) : input;
  const records: ICsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const start = line;
    const cells: ICsvCell[] = [];
    for (;;) {
      let cell: ICsvCell;
      let p = i;
      while (text[p] === ' ' || text[p] === '\t') {
        p++;
      }
      if (text[p] === '"') {
        let value = '';
        p++;
        for (;;) {
          if (p >= text.length) {
            throw new CsvSyntaxError(start, 'a quoted value has no closing "');
          }
          if (text[p] === '"') {
            if (text[p + 1] === '"') {
              value += '"';
              p += 2;
              continue;
            }
            p++;
            break;
          }
          if (text[p] === '\n') {
            line++;
          }
          value += text[p];
          p++;
        }
        while (text[p] === ' ' || text[p] === '\t') {
          p++;
        }
        if (p < text.length && text[p] !== ',' && text[p] !== '\n' && text[p] !== '\r') {
          throw new CsvSyntaxError(line, 'unexpected text after a quoted value');
        }
        cell = { text: value, quoted: true };
      } else {
        p = i;
        while (p < text.length && text[p] !== ',' && text[p] !== '\n' && text[p] !== '\r') {
          p++;
        }
        cell = { text: text.slice(i, p).trim(), quoted: false };
      }
      cells.push(cell);
      i = p;
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') {
        i++;
        if (text[i] !== '\n') {
          line++;
          break;
        }
      }
      if (text[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    const blank = cells.length === 1 && !cells[0].quoted && cells[0].text === '';
    if (!blank) {
      records.push({ line: start, cells });
    }
  }
  return records;
}
