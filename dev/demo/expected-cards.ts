/**
 * The cards each hand-made demo patient is made to get (fhir-profiles/examples/expected-cards.yaml),
 * and the comparison of what the services answered with them: `npm run demo -- --check` fails on
 * any difference, so a demo patient that stops showing its card (or starts showing another) is
 * found at once. A patient not in the file (the Synthea ones) is shown, not judged.
 *
 * The file maps a Bundle file (relative to the patients folder) to its cards by service, each
 * written `<indicator> <how the summary starts>`, or as `{ card: <that>, detail: <text the card's
 * detail contains> }`; a service not listed gives that patient no card.
 */
import { readFile } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { parse } from 'yaml';
import type { HookAnswer } from './hook-calls.js';

export interface ExpectedCard {
  indicator: 'critical' | 'warning' | 'info';
  summaryStartsWith: string;
  detailContains?: string;
}


/** By patient file, then by service id. */
export type Expectations = ReadonlyMap<string, Readonly<Record<string, readonly ExpectedCard[]>>>;

const INDICATORS = new Set(['critical', 'warning', 'info']);

export function parseExpectations(text: string, source = 'expected-cards.yaml'): Expectations {
  const raw = (parse(text) ?? {}) as unknown;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${source}: a map of patient files`);
  const out = new Map<string, Record<string, ExpectedCard[]>>();
  for (const [file, services] of Object.entries(raw)) {
    if (services !== null && (typeof services !== 'object' || Array.isArray(services))) throw new Error(`${source}: ${file}: a map of services`);
    const byService: Record<string, ExpectedCard[]> = {};
    for (const [service, cards] of Object.entries(services ?? {})) {
      if (!Array.isArray(cards)) throw new Error(`${source}: ${file}: ${service}: a list of cards`);
      byService[service] = cards.map((entry: unknown) => {
        const { card, detail } = typeof entry === 'object' && entry !== null ? (entry as { card?: unknown; detail?: unknown }) : { card: entry, detail: undefined };
        const m = typeof card === 'string' ? /^(\S+)\s+(.+)$/.exec(card.trim()) : null;
        if (!m || !INDICATORS.has(m[1] as string) || (detail !== undefined && typeof detail !== 'string')) {
          throw new Error(`${source}: ${file}: ${service}: ${JSON.stringify(entry)} is not "<critical|warning|info> <how the summary starts>" or { card, detail }`);
        }
        return { indicator: m[1] as ExpectedCard['indicator'], summaryStartsWith: m[2] as string, ...(typeof detail === 'string' && { detailContains: detail }) };
      });
    }
    out.set(file, byService);
  }
  return out;
}

/** The key of a patient's Bundle file in the expectations: its path from the patients folder, with forward slashes. */
export function expectationKey(patientsDir: string, file: string): string {
  return relative(patientsDir, file).split(sep).join('/');
}

export async function loadExpectations(path: string): Promise<Expectations> {
  return parseExpectations(await readFile(path, 'utf8'), path);
}

const describeCard = (c: { indicator: string; summary: string }): string => `${c.indicator} "${c.summary}"`;

/**
 * What differs between the expected cards of one patient and the services' answers (by service
 * id; a service not called is absent). Empty when they agree.
 */
export function compareCards(expected: Readonly<Record<string, readonly ExpectedCard[]>>, answers: ReadonlyMap<string, HookAnswer>): string[] {
  const problems: string[] = [];
  const services = [...new Set([...Object.keys(expected), ...answers.keys()])];
  for (const service of services) {
    const want = expected[service] ?? [];
    const answer = answers.get(service);
    if (!answer) {
      if (want.length > 0) problems.push(`${service}: not called (an encounter hook needs an encounter), expected ${want.length} card(s)`);
      continue;
    }
    if (answer.status !== 200) {
      problems.push(`${service}: HTTP ${answer.status}${answer.problem ? ` (${answer.problem})` : ''}`);
      continue;
    }
    const left = [...answer.cards];
    for (const card of want) {
      const i = left.findIndex(
        (c) => c.indicator === card.indicator && c.summary.startsWith(card.summaryStartsWith) && (card.detailContains === undefined || (c.detail ?? '').includes(card.detailContains)),
      );
      if (i === -1) {
        const detail = card.detailContains === undefined ? '' : ` whose detail contains "${card.detailContains}"`;
        problems.push(`${service}: no ${card.indicator} card starting "${card.summaryStartsWith}"${detail}`);
      }
      else left.splice(i, 1);
    }
    for (const card of left) problems.push(`${service}: unexpected card ${describeCard(card)}`);
  }
  return problems;
}
