/**
 * What `npm run demo` concludes from the services' answers: the card table, the expected cards of
 * the hand-made patients and the JSON line `--check` ends with.
 */
import { describe, expect, it } from '@jest/globals';
import { compareCards, expectationKey, parseExpectations } from '../../dev/demo/expected-cards.js';
import { describeAnswer, serviceOfExample } from '../../dev/demo/examples.js';
import type { HookAnswer, HookCall } from '../../dev/demo/hook-calls.js';
import { cardRows, checkSummary, formatTable } from '../../dev/demo/report.js';
import type { Card } from '../../src/hooks/schema.js';

const card = (indicator: Card['indicator'], summary: string, detail?: string): Card => ({
  summary,
  indicator,
  source: { label: 'test' },
  ...(detail !== undefined && { detail }),
});
const ok = (...cards: Card[]): HookAnswer => ({ status: 200, cards });
const ann = { id: 'p1', name: 'Ann Demo', file: 'fhir-profiles/examples/edge-cases/ann.json' };
const bob = { id: 'p2', name: '', file: 'fhir-profiles/examples/synthea/bob.json' };
const call = (patient: typeof ann, service: string, answer: HookAnswer): HookCall => ({ patient, service, ...answer });

describe('the expected cards', () => {
  it('reads "<indicator> <summary start>" and { card, detail }, keyed by patient file', () => {
    const e = parseExpectations(
      ['edge-cases/ann.json:', '  triage:', '    - critical ESI level 1', '  trial-match:', '    - card: info 1 recruiting trial may fit', '      detail: NCT00001159', 'edge-cases/none.json: {}'].join('\n'),
    );
    expect(e.get('edge-cases/ann.json')).toEqual({
      triage: [{ indicator: 'critical', summaryStartsWith: 'ESI level 1' }],
      'trial-match': [{ indicator: 'info', summaryStartsWith: '1 recruiting trial may fit', detailContains: 'NCT00001159' }],
    });
    expect(e.get('edge-cases/none.json')).toEqual({});
    expect(expectationKey('fhir-profiles/examples', ann.file)).toBe('edge-cases/ann.json');
    expect(expectationKey('./fhir-profiles/examples/', ann.file)).toBe('edge-cases/ann.json');
  });

  it('refuses what it cannot read, naming the file, patient and service', () => {
    expect(() => parseExpectations('a.json:\n  triage:\n    - urgent ESI level 2')).toThrow(/a\.json: triage: "urgent ESI level 2"/);
    expect(() => parseExpectations('a.json:\n  triage: critical ESI level 1')).toThrow(/a list of cards/);
    expect(() => parseExpectations('- a.json')).toThrow(/a map of patient files/);
  });

  it('agrees when every expected card came and nothing else did, in any order', () => {
    const expected = { diagnosis: [{ indicator: 'warning' as const, summaryStartsWith: 'Possible prediabetes' }, { indicator: 'warning' as const, summaryStartsWith: 'Possible obesity' }] };
    const answers = new Map([
      ['diagnosis', ok(card('warning', 'Possible obesity, class 1: BMI 31'), card('warning', 'Possible prediabetes: HbA1c 6.1%'))],
      ['triage', ok()],
    ]);
    expect(compareCards(expected, answers)).toEqual([]);
  });

  it('says which card is missing, which came unexpected, which answer failed and which service was not called', () => {
    const expected = {
      diagnosis: [{ indicator: 'warning' as const, summaryStartsWith: 'Possible prediabetes' }],
      'trial-match': [{ indicator: 'info' as const, summaryStartsWith: '1 recruiting', detailContains: 'NCT1' }],
      triage: [{ indicator: 'critical' as const, summaryStartsWith: 'ESI level 1' }],
      'triage-encounter': [{ indicator: 'critical' as const, summaryStartsWith: 'ESI level 1' }],
    };
    const answers = new Map<string, HookAnswer>([
      ['diagnosis', ok(card('info', 'Possible prediabetes'), card('warning', 'Possible AKI'))],
      ['trial-match', ok(card('info', '1 recruiting trial may fit', '**NCT2**'))],
      ['triage', { status: 412, cards: [], problem: 'required prefetch "patient" could not be had' }],
    ]);
    expect(compareCards(expected, answers)).toEqual([
      'diagnosis: no warning card starting "Possible prediabetes"',
      'diagnosis: unexpected card info "Possible prediabetes"',
      'diagnosis: unexpected card warning "Possible AKI"',
      'trial-match: no info card starting "1 recruiting" whose detail contains "NCT1"',
      'trial-match: unexpected card info "1 recruiting trial may fit"',
      'triage: HTTP 412 (required prefetch "patient" could not be had)',
      'triage-encounter: not called (an encounter hook needs an encounter), expected 1 card(s)',
    ]);
  });
});

describe('the example requests', () => {
  it('are for the service their file name starts with', () => {
    expect(serviceOfExample('cds-hooks/examples/triage-encounter.json')).toBe('triage-encounter');
    expect(serviceOfExample('diagnosis.patient-not-on-server.json')).toBe('diagnosis');
  });

  it('describe an answer in one line', () => {
    expect(describeAnswer(ok(card('critical', 'ESI level 1')))).toBe('HTTP 200, 1 card(s): critical "ESI level 1"');
    expect(describeAnswer({ status: 412, cards: [], resourceType: 'OperationOutcome', problem: 'no patient' })).toBe('HTTP 412 OperationOutcome: no patient');
  });
});

describe('the card table', () => {
  const calls = [
    call(ann, 'triage', ok(card('critical', 'ESI level 1 (decision point A) · NEWS2 ≥17 (high) · qSOFA 3/3 · shock index 1.50'))),
    call(ann, 'diagnosis', ok(card('warning', 'Suspected sepsis'), card('warning', 'Possible AKI'))),
    call(bob, 'trial-match', { status: 503, cards: [], problem: 'starting up' }),
    call(bob, 'triage', ok()),
  ];

  it('has a row per card and per failed answer, the patient named on its first row only', () => {
    expect(cardRows(calls).map((r) => [r.patient, r.service, r.card])).toEqual([
      ['Ann Demo', 'triage', 'critical'],
      ['Ann Demo', 'diagnosis', 'warning'],
      ['Ann Demo', 'diagnosis', 'warning'],
      ['Patient/p2', 'trial-match', 'HTTP 503'],
    ]);
    const lines = formatTable(cardRows(calls), 80);
    expect(lines[0]).toMatch(/^patient\s+service\s+card\s+summary$/);
    expect(lines[2]?.startsWith(' ')).toBe(true);
    expect(lines[4]).toMatch(/^Patient\/p2 +trial-match +HTTP 503 +starting up$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines[1]).toMatch(/…$/);
  });
});

describe('the --check line', () => {
  const base = {
    services: ['triage', 'diagnosis', 'trial-match'],
    patients: [ann, bob],
    unexpected: [],
    examples: [{ file: 'triage.json', problems: [] }],
    seconds: 21.04,
  };

  it('counts cards per service and names the patients without any; ok when every service gave one', () => {
    const summary = checkSummary({
      ...base,
      calls: [
        call(ann, 'triage', ok(card('critical', 'x'))),
        call(ann, 'diagnosis', ok(card('warning', 'a'), card('warning', 'b'))),
        call(ann, 'trial-match', ok(card('info', 'c'))),
        call(bob, 'triage', ok()),
      ],
    });
    expect(summary).toEqual({
      check: 'demo',
      cards: { triage: 1, diagnosis: 2, 'trial-match': 1 },
      patients: 2,
      noCardPatients: ['Patient/p2'],
      servicesWithoutCards: [],
      errors: [],
      unexpected: [],
      examples: { passed: 1, failed: [] },
      seconds: 21,
      ok: true,
    });
    expect(Object.keys(summary).slice(0, 4)).toEqual(['check', 'cards', 'patients', 'noCardPatients']);
  });

  it('fails when a service gave no card, an answer was not 200, a card was unexpected or an example failed', () => {
    const calls = [call(ann, 'triage', ok(card('critical', 'x'))), call(ann, 'diagnosis', ok(card('warning', 'a'))), call(ann, 'trial-match', ok(card('info', 'c')))];
    expect(checkSummary({ ...base, calls: calls.slice(0, 2) })).toMatchObject({ ok: false, servicesWithoutCards: ['trial-match'] });
    expect(checkSummary({ ...base, calls: [...calls, call(bob, 'triage', { status: 412, cards: [] })] })).toMatchObject({
      ok: false,
      errors: ['Patient/p2 · triage: HTTP 412'],
    });
    expect(checkSummary({ ...base, calls, unexpected: ['Ann Demo · triage: unexpected card'] }).ok).toBe(false);
    expect(checkSummary({ ...base, calls, examples: [{ file: 'x.json', problems: ['got HTTP 200'] }] })).toMatchObject({
      ok: false,
      examples: { passed: 0, failed: ['x.json: got HTTP 200'] },
    });
    expect(checkSummary({ ...base, calls }).ok).toBe(true);
  });
});
