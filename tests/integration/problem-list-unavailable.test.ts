/**
 * When the EHR could not prefetch the problem list (it sends an OperationOutcome for the key, or
 * leaves the key out) and Cairn cannot fetch it either (no fhirServer), the conditions are not
 * known to be none:
 * - diagnosis cannot say that a finding is "not on the problem list", so it answers 412 (CDS Hooks
 *   2.0.1: a service that cannot get the data it needs SHALL answer 412) rather than cards that
 *   would claim it;
 * - triage still answers (its vital signs decide levels 1 and 2), but decision point C assumes the
 *   step up that multiple active problems would give, and says so.
 * `null` for the key means the EHR has no such data: an empty problem list, as before.
 * The shipped service definitions and logic over the shipped corpus, called as the hook adapter calls them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { startDevFhirServer, type DevFhirServer } from '../../dev/fhir-server/index.js';
import { demoPrefetch, loadDemoPatient } from '../../bench/support/demo-prefetch.js';
import { invokeService } from '../../src/hooks/invoke.js';
import type { Card } from '../../src/hooks/schema.js';
import { bindServices, loadServiceDefinitions } from '../../src/hooks/service-definitions.js';
import type { CdsService } from '../../src/hooks/service.js';
import { createServiceLogic } from '../../src/services/index.js';
import { corpusSearch } from '../support/card-markdown.js';
import { encounter, observation, patient } from '../support/fhir-builders.js';
import { repoPath } from '../support/repo-root.js';

const log = pino({ level: 'silent' });
const FAILED_FETCH = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: 'the EHR could not search Condition' }] };

let fhir: DevFhirServer;
let services: Map<string, CdsService>;

beforeAll(async () => {
  fhir = await startDevFhirServer({ port: 0 });
  // Triage's info cards on: the level-4 patient below gets a card to read the level from.
  const logic = createServiceLogic({ search: await corpusSearch(), config: { triageInfoCards: true } });
  const definitions = (await loadServiceDefinitions(repoPath('cds-hooks'))).filter((d) => d.definition.id !== 'trial-match');
  services = new Map(bindServices(definitions, logic).map((s) => [s.definition.id, s]));
}, 120_000);
afterAll(async () => {
  await fhir?.close();
});

async function call(serviceId: string, patientId: string, prefetch: Record<string, unknown>) {
  const body = { hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId }, prefetch };
  return invokeService(services.get(serviceId)!, body, { deadlineMs: 10_000, log, gatewayFor: () => undefined });
}

const diagnostics = (body: unknown): string[] => ((body as { issue?: Array<{ diagnostics?: string }> }).issue ?? []).map((i) => i.diagnostics ?? '');

describe('diagnosis without the problem list', () => {
  let patientId: string;
  let prefetch: Record<string, unknown>;
  beforeAll(async () => {
    patientId = await loadDemoPatient(fhir, 'fhir-profiles/examples/edge-cases/mixed-units.json');
    prefetch = await demoPrefetch(fhir, 'diagnosis', patientId);
  });

  it('gives its cards when the problem list was read', async () => {
    const result = await call('diagnosis', patientId, prefetch);
    expect(result.status).toBe(200);
    expect((result.body as { cards: Card[] }).cards.length).toBeGreaterThan(0);
  });

  it.each([
    ['an OperationOutcome (the EHR could not fetch it)', FAILED_FETCH],
    ['the key left out', undefined],
  ])('answers 412 naming the problem list for %s, and no card claims it is empty', async (_, conditions) => {
    const { conditions: _sent, ...others } = prefetch;
    const result = await call('diagnosis', patientId, conditions === undefined ? others : { ...others, conditions });
    expect(result.status).toBe(412);
    expect(diagnostics(result.body).join(' ')).toMatch(/required prefetch "conditions" could not be had/);
  });

  it('takes null as "no conditions": the cards still come', async () => {
    const result = await call('diagnosis', patientId, { ...prefetch, conditions: null });
    expect(result.status).toBe(200);
    const cards = (result.body as { cards: Card[] }).cards;
    expect(cards.length).toBeGreaterThan(0);
  });
});

describe('triage without the problem list', () => {
  // A 40-year-old with a scalp laceration and normal vital signs: one resource (a simple procedure), ESI level 4.
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
  const vital = (id: string, code: string, value: number, unit: string) => observation({ id, code, category: 'vital-signs', date: minutesAgo(5), value, unit });
  const bundle = (resources: unknown[]) => ({ resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) });
  const prefetch = {
    patient: patient({ birthDate: '1986-03-01', gender: 'female' }),
    observations: bundle([
      vital('rr', '9279-1', 16, '/min'),
      vital('spo2', '59408-5', 98, '%'),
      vital('hr', '8867-4', 78, '/min'),
      vital('sbp', '8480-6', 124, 'mm[Hg]'),
      vital('temp', '8310-5', 36.8, 'Cel'),
      observation({ id: 'avpu', code: '67775-7', category: 'vital-signs', date: minutesAgo(5), answer: { system: 'http://snomed.info/sct', code: '248234008', display: 'Mentally alert' } }),
    ]),
    encounters: bundle([encounter({ id: 'e1', classCode: 'EMER', start: minutesAgo(20), status: 'in-progress' }, { reasonCode: [{ text: 'scalp laceration' }] })]),
    conditions: bundle([]),
  };
  const triage = async (conditions: unknown) => {
    const result = await call('triage', 'p1', { ...prefetch, conditions });
    expect(result.status).toBe(200);
    const cards = (result.body as { cards: Card[] }).cards;
    const extension = cards[0]?.extension?.['cairn-triage'] as { esiLevel?: number } | undefined;
    return { card: cards[0], level: extension?.esiLevel };
  };

  it('sets level 4 from one resource when the problem list was read and is empty (or null)', async () => {
    for (const conditions of [bundle([]), null]) {
      const { card, level } = await triage(conditions);
      expect(level).toBe(4);
      expect(card?.detail).not.toMatch(/problem list could not be read/);
    }
  });

  it('assumes the step up for multiple problems when the problem list could not be read, and says so', async () => {
    const { card, level } = await triage(FAILED_FETCH);
    expect(level).toBe(3);
    expect(card?.detail).toMatch(/problem list could not be read, so the step up for multiple active problems cannot be ruled out/);
  });
});
