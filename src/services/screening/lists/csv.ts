/**
 * CSV reading shared by the list loaders: csv-parse in strict mode (every row the same number of
 * columns, quotes balanced), each record with the line it ends on so a refusal can name it.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { malformedList } from '../errors.ts';

export interface CsvRow {
  fields: string[];
  /** 1-based line of the file on which the record ends. */
  line: number;
}

/**
 * Parses `text` into rows of exactly `columns` fields. OFAC's files end with a DOS end-of-file
 * byte (0x1A) after the last record, which is stripped; anything else that breaks the format is
 * refused with file and line.
 */
export function parseCsvStrict(file: string, text: string, columns: number): CsvRow[] {
  const body = text.replace(/\u001a\s*$/, '');
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(body, { info: true, trim: true, skip_empty_lines: true, relax_column_count: true }) as unknown as typeof records;
  } catch (error) {
    const line = error instanceof CsvError ? (error as CsvError & { lines?: number }).lines : undefined;
    throw malformedList(file, line, error instanceof Error ? error.message : String(error), error);
  }
  return records.map(({ record, info }) => {
    if (record.length !== columns) throw malformedList(file, info.lines, `expected ${columns} columns, found ${record.length}`);
    return { fields: record, line: info.lines };
  });
}

/** OFAC writes `-0-` for an empty field. */
export function ofacValue(field: string | undefined): string | undefined {
  if (field === undefined) return undefined;
  const trimmed = field.trim();
  return trimmed === '' || trimmed === '-0-' ? undefined : trimmed;
}
