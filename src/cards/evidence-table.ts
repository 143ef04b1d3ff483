/**
 * The patient's values behind a card, as a markdown table: what was measured, when, and what it
 * contributed. Every cell is computed from the record; a missing value is shown as missing.
 */
export interface EvidenceRow {
  label: string;
  /** Shown as is; undefined renders as "not recorded". */
  value?: number | string;
  unit?: string;
  /** ISO date-time of the reading. */
  time?: string;
  /** What the value contributed (points, "≥ 140", "met"). */
  contribution?: string;
  /** FHIR reference of the reading, for the clinician who wants the source. */
  source?: string;
}

export interface EvidenceTableHeaders {
  /** First column (default "Finding"). */
  label?: string;
  /** Second column (default "Value"). */
  value?: string;
}

export function evidenceTable(rows: readonly EvidenceRow[], contributionHeader = 'Contribution', headers: EvidenceTableHeaders = {}): string {
  const header = `| ${headers.label ?? 'Finding'} | ${headers.value ?? 'Value'} | Time | ${contributionHeader} |\n|---|---|---|---|`;
  const body = rows.map((r) => {
    const value = r.value === undefined ? '_not recorded_' : `${formatValue(r.value)}${r.unit ? ` ${r.unit}` : ''}`;
    return `| ${escapeCell(r.label)} | ${escapeCell(value)} | ${r.time ? formatTime(r.time) : '–'} | ${escapeCell(r.contribution ?? '–')} |`;
  });
  return [header, ...body].join('\n');
}

function formatValue(v: number | string): string {
  if (typeof v === 'string') return v;
  // Values come from UCUM conversion; show what a clinician would write, not float noise.
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(2)));
}

/** "2026-11-24 08:00 UTC": unambiguous for a reader in any time zone. */
export function formatTime(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
