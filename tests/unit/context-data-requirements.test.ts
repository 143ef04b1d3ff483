import { describe, expect, it } from '@jest/globals';
import { extensionUrl } from '../../src/canonical.js';
import { derivePrefetchTemplates, MAX_TEMPLATE_LENGTH } from '../../src/fhir/context/data-requirements.js';
import { defaultValueSetIndex, valueSetIndexFromResources } from '../../src/fhir/context/index.js';
import { renderTemplate } from '../../src/hooks/prefetch/template.js';

describe('derivePrefetchTemplates', () => {
  const index = defaultValueSetIndex();

  it('asks for the patient, and for Observations only by the codes of the value sets read', () => {
    const t = derivePrefetchTemplates({ observationValueSets: ['cairn-vital-signs'] }, index);
    expect(t.patient).toBe('Patient/{{context.patientId}}');
    expect(t.observations).toMatch(/^Observation\?patient=\{\{context\.patientId\}\}&_count=1000&code=/);
    expect(t.observations).toContain('http://loinc.org|8867-4'); // heart rate
    expect(t.observations).toContain('http://loinc.org|85354-9'); // BP panel
    expect(t.observations).not.toContain('4548-4'); // HbA1c is a lab, not asked for
  });

  it('keeps every template under the URL length limit, rendered, with all shipped observation sets', () => {
    const all = [...index.valueSets.keys()].filter((id) => [...index.observationBindings.values()].some((b) => b.valueSetId === id));
    const t = derivePrefetchTemplates({ observationValueSets: all, encounters: true, conditions: true, medications: true, allergies: true, procedures: true, notes: true }, index);
    for (const template of Object.values(t)) {
      const rendered = renderTemplate(template, { patientId: 'a-typical-64-character-fhir-id-0123456789abcdef0123456789abcdef01', userId: 'Practitioner/x' });
      expect(rendered.ok).toBe(true);
      expect(rendered.ok && rendered.url.length).toBeLessThan(MAX_TEMPLATE_LENGTH);
    }
  });

  it('splits a long code list over several keys rather than exceeding the limit', () => {
    const many = Array.from({ length: 600 }, (_, i) => ({ code: `${10000 + i}-${i % 10}`, extension: [{ url: extensionUrl('quantity-key'), valueCode: 'heartRate' }, { url: extensionUrl('canonical-unit'), valueCode: '/min' }] }));
    const big = valueSetIndexFromResources([
      { resourceType: 'ValueSet', id: 'big', status: 'active', compose: { include: [{ system: 'http://loinc.org', concept: many }] } },
    ]);
    const t = derivePrefetchTemplates({ observationValueSets: ['big'] }, big);
    const keys = Object.keys(t).filter((k) => k.startsWith('observations'));
    expect(keys.length).toBeGreaterThan(1);
    for (const k of keys) expect(t[k]!.length).toBeLessThanOrEqual(MAX_TEMPLATE_LENGTH);
    const listed = keys.flatMap((k) => t[k]!.split('code=')[1]!.split(','));
    expect(listed).toHaveLength(600);
  });

  it('refuses an unknown value set rather than silently asking for nothing', () => {
    expect(() => derivePrefetchTemplates({ observationValueSets: ['no-such-set'] }, index)).toThrow(/unknown value set/);
  });
});
