/**
 * MIMIC-IV-ED demo triage rows (PhysioNet, ODbL 1.0; `triage_mimic_iv_ed_demo`, see its README) →
 * the record shape the KTAS converter reads (ktas.ts), so both sets go through the same FHIR path.
 *
 * Only what a triage nurse has at the door is used: vital signs (temperature °F → °C), the pain
 * rating, the chief complaint and, from edstays.csv, sex. The demo has no age and no AVPU: they
 * stay unknown. The gold label is the nurse's ESI `acuity` (clinical practice, not an expert
 * panel); it is put in `ktas_expert` only because that is the field the evaluation compares with,
 * and there is no second rater (`ktas_rn` null).
 */
import type { KtasRecord } from './ktas.js';

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
    } else field += ch;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

function objectsOf(text: string): Array<Record<string, string>> {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h.trim(), (r[i] ?? '').trim()])));
}

const num = (s: string | undefined): number | null => {
  if (s === undefined || s.trim() === '') return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
};

export interface MimicConversion {
  records: KtasRecord[];
  /** Values left out, with why (a pain rating outside 0-10, an acuity outside 1-5). */
  excluded: string[];
}

export function mimicTriageRecords(triageCsv: string, edstaysCsv: string | null): MimicConversion {
  const stays = new Map((edstaysCsv ? objectsOf(edstaysCsv) : []).map((s) => [s.stay_id, s]));
  const excluded: string[] = [];
  const records: KtasRecord[] = [];
  for (const t of objectsOf(triageCsv)) {
    const id = `mimic-${t.stay_id}`;
    const acuity = num(t.acuity);
    if (acuity === null || acuity < 1 || acuity > 5 || !Number.isInteger(acuity)) {
      excluded.push(`${id}: acuity "${t.acuity}" is not an ESI level; row left out`);
      continue;
    }
    let pain = num(t.pain);
    if (t.pain && pain === null) excluded.push(`${id}: pain "${t.pain}" is not a number; not used`);
    if (pain !== null && (pain < 0 || pain > 10)) {
      excluded.push(`${id}: pain ${pain} outside 0-10; not used`);
      pain = null;
    }
    const tempF = num(t.temperature);
    const gender = stays.get(t.stay_id ?? '')?.gender;
    records.push({
      id,
      sex: gender === 'F' ? 'female' : gender === 'M' ? 'male' : null,
      age: null,
      chief_complaint: t.chiefcomplaint || null,
      avpu: null,
      pain: pain === null ? null : pain > 0,
      nrs_pain: pain,
      sbp: num(t.sbp),
      dbp: num(t.dbp),
      hr: num(t.heartrate),
      rr: num(t.resprate),
      temp_c: tempF === null ? null : Math.round(((tempF - 32) * 5) / 9 * 10) / 10,
      spo2: num(t.o2sat),
      ktas_rn: null,
      ktas_expert: acuity,
    } as KtasRecord);
  }
  return { records, excluded };
}
