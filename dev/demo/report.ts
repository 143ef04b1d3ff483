/**
 * What `npm run demo` prints about the hook calls it made: one table row per card (patient,
 * service, indicator, the start of the summary), and for `--check` the one JSON line that ends
 * the run. Pure: the rows and the line are computed from the answers alone.
 */
import type { DemoPatient } from '../fhir-server/demo-patients.js';
import type { HookCall } from './hook-calls.js';

export interface TableRow {
  patient: string;
  service: string;
  /** The card's indicator, or `HTTP <status>` for an answer without cards. */
  card: string;
  summary: string;
}

export const patientLabel = (p: DemoPatient): string => p.name || `Patient/${p.id}`;

/** One row per card, and one per answer other than 200; patients and services in call order. */
export function cardRows(calls: readonly HookCall[]): TableRow[] {
  const rows: TableRow[] = [];
  for (const call of calls) {
    const patient = patientLabel(call.patient);
    if (call.status !== 200) rows.push({ patient, service: call.service, card: `HTTP ${call.status}`, summary: call.problem ?? '' });
    for (const card of call.cards) rows.push({ patient, service: call.service, card: card.indicator, summary: card.summary });
  }
  return rows;
}

function fit(text: string, width: number): string {
  if (width <= 1) return text.length > 0 ? '…' : '';
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/**
 * The rows as aligned columns no wider than `width` characters: the summary is cut to fit, and a
 * patient's name is written on its first row only.
 */
export function formatTable(rows: readonly TableRow[], width: number): string[] {
  const header: TableRow = { patient: 'patient', service: 'service', card: 'card', summary: 'summary' };
  const patientWidth = Math.min(28, Math.max(header.patient.length, ...rows.map((r) => r.patient.length)));
  const serviceWidth = Math.max(header.service.length, ...rows.map((r) => r.service.length));
  const cardWidth = Math.max(header.card.length, ...rows.map((r) => r.card.length));
  const summaryWidth = Math.max(20, width - patientWidth - serviceWidth - cardWidth - 6);
  const line = (r: TableRow, showPatient: boolean): string =>
    [fit(showPatient ? r.patient : '', patientWidth).padEnd(patientWidth), r.service.padEnd(serviceWidth), r.card.padEnd(cardWidth), fit(r.summary, summaryWidth)]
      .join('  ')
      .trimEnd();
  return [line(header, true), ...rows.map((r, i) => line(r, i === 0 || rows[i - 1]?.patient !== r.patient))];
}

export interface DemoCheck {
  check: 'demo';
  /** Cards per service over every patient, in discovery order. */
  cards: Record<string, number>;
  patients: number;
  /** The patients no service gave a card. */
  noCardPatients: string[];
  /** Services that gave no patient a card: the check fails. */
  servicesWithoutCards: string[];
  /** Answers other than 200: the check fails. */
  errors: string[];
  /** Differences from expected-cards.yaml: the check fails. */
  unexpected: string[];
  examples: { passed: number; failed: string[] };
  seconds: number;
  ok: boolean;
}

export function checkSummary(input: {
  calls: readonly HookCall[];
  services: readonly string[];
  patients: readonly DemoPatient[];
  unexpected: readonly string[];
  examples: ReadonlyArray<{ file: string; problems: readonly string[] }>;
  seconds: number;
}): DemoCheck {
  const cards: Record<string, number> = Object.fromEntries(input.services.map((s) => [s, 0]));
  for (const call of input.calls) if (call.status === 200) cards[call.service] = (cards[call.service] ?? 0) + call.cards.length;
  const withCards = new Set(input.calls.filter((c) => c.cards.length > 0).map((c) => c.patient.id));
  const servicesWithoutCards = input.services.filter((s) => (cards[s] ?? 0) === 0);
  const errors = input.calls.filter((c) => c.status !== 200).map((c) => `${patientLabel(c.patient)} · ${c.service}: HTTP ${c.status}`);
  const failed = input.examples.filter((e) => e.problems.length > 0).map((e) => `${e.file}: ${e.problems.join('; ')}`);
  return {
    check: 'demo',
    cards,
    patients: input.patients.length,
    noCardPatients: input.patients.filter((p) => !withCards.has(p.id)).map(patientLabel),
    servicesWithoutCards,
    errors,
    unexpected: [...input.unexpected],
    examples: { passed: input.examples.length - failed.length, failed },
    seconds: Math.round(input.seconds * 10) / 10,
    ok: input.services.length > 0 && servicesWithoutCards.length === 0 && errors.length === 0 && input.unexpected.length === 0 && failed.length === 0,
  };
}
