/**
 * Reads a screening's results for an export in bounded pages (a screening may hold 10,000
 * patients, each with its criterion table), so memory stays one page whatever its size; the file
 * content is built by export.ts.
 */
import type { Queryable } from '../../../db/database.js';
import { csvHeader, csvResultLine } from './export.js';
import { patientIdsAfter, resultsAfter } from './store.js';

/** Results (with their criterion tables) per page of a CSV export. */
export const CSV_PAGE = 200;
/** Patient ids per page of a FHIR export (ids only: small rows). */
export const ID_PAGE = 2_000;

/** The CSV file, one chunk per page of results: the header first, then every patient in request order. */
export async function* csvChunks(db: Queryable, screeningId: string, pageSize = CSV_PAGE): AsyncGenerator<string> {
  yield csvHeader();
  let after = -1;
  for (;;) {
    const page = await resultsAfter(db, screeningId, { after, limit: pageSize });
    if (page.length === 0) return;
    yield page.map(csvResultLine).join('');
    after = (page[page.length - 1] as { ordinal: number }).ordinal;
    if (page.length < pageSize) return;
  }
}

/** The ids of the eligible patients, in request order. */
export async function eligiblePatientIds(db: Queryable, screeningId: string, pageSize = ID_PAGE): Promise<string[]> {
  const ids: string[] = [];
  let after = -1;
  for (;;) {
    const page = await patientIdsAfter(db, screeningId, { after, limit: pageSize, category: 'eligible' });
    for (const row of page) ids.push(row.patientId);
    if (page.length < pageSize) return ids;
    after = (page[page.length - 1] as { ordinal: number }).ordinal;
  }
}
