/**
 * Cairn's canonical base (src/canonical.ts, issue #17 point 6): what cards and resources are named
 * under, that the default resolves (Cairn serves its CodeSystem and ValueSets there), and that
 * what Cairn reads of its own does not depend on it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalBase, canonicalUrl, configureCanonicalBase, DEFAULT_CANONICAL_BASE, isCairnExtension } from '../../src/canonical.js';
import { OVERRIDE_REASONS, overrideReasons, overrideReasonSystem } from '../../src/cards/override-reasons.js';
import { loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import { loadPublishedResources, rebased } from '../../src/fhir/published.js';
import { createApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import { createLogger } from '../../src/log.js';
import { repoPath } from '../support/repo-root.js';

afterEach(() => configureCanonicalBase(undefined));

describe('the canonical base', () => {
  it('defaults to a Cairn on its default port, the value loadConfig({}) gives', () => {
    expect(canonicalBase()).toBe(DEFAULT_CANONICAL_BASE);
    expect(loadConfig({}).canonicalBase).toBe(DEFAULT_CANONICAL_BASE);
  });

  it('is what configureCanonicalBase set, without a trailing slash; a bad one is refused', () => {
    configureCanonicalBase('https://terminology.hospital.example/cairn/');
    expect(canonicalUrl('CodeSystem/cds-override-reason')).toBe('https://terminology.hospital.example/cairn/CodeSystem/cds-override-reason');
    expect(() => configureCanonicalBase('urn:cairn')).toThrow(/http\(s\) URL/);
    expect(() => configureCanonicalBase('https://x.example/fhir#frag')).toThrow(/without query or fragment/);
    expect(canonicalBase()).toBe('https://terminology.hospital.example/cairn');
  });

  it('recognises Cairn extensions by their name under any http(s) base', () => {
    expect(isCairnExtension('https://a.example/fhir/StructureDefinition/official-title', 'official-title')).toBe(true);
    expect(isCairnExtension('http://localhost:3000/fhir/StructureDefinition/official-title', 'official-title')).toBe(true);
    expect(isCairnExtension('https://a.example/fhir/StructureDefinition/official-title-2', 'official-title')).toBe(false);
    expect(isCairnExtension('https://a.example/fhir/CodeSystem/official-title', 'official-title')).toBe(false);
    expect(isCairnExtension('/StructureDefinition/official-title', 'official-title')).toBe(false);
    expect(isCairnExtension(undefined, 'official-title')).toBe(false);
  });
});

describe('override reasons', () => {
  const codeSystem = JSON.parse(readFileSync(repoPath('fhir-profiles/codesystems/cds-override-reason.json'), 'utf8')) as {
    id: string;
    concept: Array<{ code: string; display: string }>;
  };

  it('are the concepts of the shipped CodeSystem, code and display', () => {
    expect(Object.values(OVERRIDE_REASONS)).toEqual(codeSystem.concept);
  });

  it('carry the system of the configured base, read when the card is built', () => {
    expect(overrideReasons('patientDeclined')).toEqual([{ system: `${DEFAULT_CANONICAL_BASE}/CodeSystem/cds-override-reason`, code: 'patient-declined', display: 'Patient declined' }]);
    configureCanonicalBase('https://terminology.hospital.example/cairn');
    expect(overrideReasons('alreadyAssessed', 'notClinicallyRelevant').map((r) => r.system)).toEqual([
      'https://terminology.hospital.example/cairn/CodeSystem/cds-override-reason',
      'https://terminology.hospital.example/cairn/CodeSystem/cds-override-reason',
    ]);
  });
});

describe('published resources', () => {
  const published = loadPublishedResources();

  it('are the shipped CodeSystem and every shipped ValueSet', () => {
    expect(published.has('CodeSystem/cds-override-reason')).toBe(true);
    expect([...published.keys()].filter((k) => k.startsWith('ValueSet/')).length).toBeGreaterThanOrEqual(20);
  });

  it('are rebased: their url and their own extensions move to the base, other publishers\' systems stay', () => {
    const vs = rebased(published.get('ValueSet/cairn-vital-signs')!, 'https://terminology.hospital.example/cairn');
    expect(vs.url).toBe('https://terminology.hospital.example/cairn/ValueSet/cairn-vital-signs');
    const json = JSON.stringify(vs);
    expect(json).toContain('"https://terminology.hospital.example/cairn/StructureDefinition/quantity-key"');
    expect(json).not.toContain(DEFAULT_CANONICAL_BASE);
    expect(json).toContain('"system":"http://loinc.org"');
    // The shipped object itself is untouched.
    expect(JSON.stringify(published.get('ValueSet/cairn-vital-signs'))).toContain(`${DEFAULT_CANONICAL_BASE}/StructureDefinition/quantity-key`);
  });
});

describe('GET /fhir/{CodeSystem|ValueSet}/{id}', () => {
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    const config = { publicUrl: 'http://localhost', corsOrigins: [], hookDeadlineMs: 1000, fhirTimeoutMs: 500, fhirConcurrency: 2, fhirMaxPages: 2, requireAuth: false, maxRequestBytes: 2048 };
    const app = createApp({ config, services: [], db: { kind: 'pglite', ping: async () => undefined } as unknown as Database, metrics: createMetrics(), log: createLogger('silent') });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('with the default base (public URL + /fhir), the system on every card resolves to its CodeSystem', async () => {
    // What start-up does with CAIRN_PUBLIC_URL set to where this Cairn listens.
    configureCanonicalBase(loadConfig({ CAIRN_PUBLIC_URL: origin }).canonicalBase);
    const system = overrideReasonSystem();
    expect(system).toBe(`${origin}/fhir/CodeSystem/cds-override-reason`);
    const res = await fetch(system);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    const cs = (await res.json()) as { resourceType: string; url: string; concept: Array<{ code: string; display: string }> };
    expect(cs.resourceType).toBe('CodeSystem');
    expect(cs.url).toBe(system);
    for (const r of overrideReasons(...(Object.keys(OVERRIDE_REASONS) as Array<keyof typeof OVERRIDE_REASONS>))) {
      expect(cs.concept).toContainEqual({ code: r.code, display: r.display });
    }
  });

  it('serves under a base set apart from the public URL', async () => {
    configureCanonicalBase('https://terminology.hospital.example/cairn');
    const vs = (await (await fetch(`${origin}/fhir/ValueSet/cairn-consciousness`)).json()) as { url: string };
    expect(vs.url).toBe('https://terminology.hospital.example/cairn/ValueSet/cairn-consciousness');
  });

  it('answers 404 with an OperationOutcome for anything else', async () => {
    for (const path of ['/fhir/CodeSystem/no-such-system', '/fhir/StructureDefinition/quantity-key', '/fhir/Patient/1']) {
      const res = await fetch(`${origin}${path}`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    }
  });
});
