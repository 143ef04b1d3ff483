import { describe, expect, it } from '@jest/globals';
import { renderTemplate, templateDependencies } from '../../src/hooks/prefetch/template.js';

const context = {
  userId: 'Practitioner/dr-1',
  patientId: 'pat-1',
  draftOrders: {
    resourceType: 'Bundle',
    entry: [
      { resource: { resourceType: 'MedicationRequest', id: 'm1' } },
      { resource: { resourceType: 'ServiceRequest', id: 's1' } },
      { resource: { resourceType: 'MedicationRequest', id: 'm2' } },
    ],
  },
};

describe('renderTemplate', () => {
  it.each([
    ['Patient/{{context.patientId}}', 'Patient/pat-1'],
    ['Observation?patient={{context.patientId}}&code=http://loinc.org|8480-6', 'Observation?patient=pat-1&code=http://loinc.org|8480-6'],
    ['Practitioner/{{userPractitionerId}}', 'Practitioner/dr-1'],
    ['Patient/{{ context.patientId }}', 'Patient/pat-1'],
    ['MedicationRequest?_id={{context.draftOrders.entry.resource.ofType(MedicationRequest).id}}', 'MedicationRequest?_id=m1,m2'],
    ['Resource?_id={{context.draftOrders.entry.resource.ofType(ServiceRequest).id | context.patientId}}', 'Resource?_id=s1,pat-1'],
  ])('%s → %s', (template, expected) => {
    expect(renderTemplate(template, context)).toEqual({ ok: true, url: expected });
  });

  it('renders today() - 90 days as a date (3.0 simpler FHIRPath)', () => {
    const result = renderTemplate('Observation?date=ge{{today() - 90 days}}', context);
    expect(result.ok).toBe(true);
    const expected = new Date(Date.now() - 90 * 86_400_000).toISOString().slice(0, 10);
    // Around midnight UTC the two clocks may differ by a day; both are valid renderings.
    const url = result.ok ? result.url : '';
    expect([expected, new Date(Date.now() - 89 * 86_400_000).toISOString().slice(0, 10)]).toContain(url.slice(-10));
  });

  it('reports a token with no value (an optional context field not sent)', () => {
    expect(renderTemplate('Encounter/{{context.encounterId}}', context)).toEqual({ ok: false, reason: 'no-value', token: 'context.encounterId' });
  });

  it('gives no user token for another user type', () => {
    expect(renderTemplate('Patient/{{userPatientId}}', context)).toMatchObject({ ok: false, reason: 'no-value' });
  });

  it('rejects a token that yields an object rather than primitives', () => {
    expect(renderTemplate('Bundle/{{context.draftOrders}}', context)).toMatchObject({ ok: false, reason: 'invalid-token' });
  });

  it('rejects an unparseable expression', () => {
    expect(renderTemplate('Patient/{{context.(}}', context)).toMatchObject({ ok: false, reason: 'invalid-token' });
  });

  it('URL-encodes values so a context value cannot inject search parameters', () => {
    expect(renderTemplate('Patient/{{context.patientId}}', { patientId: 'a&b=c' })).toEqual({ ok: true, url: 'Patient/a%26b%3Dc' });
  });

  it('reads earlier prefetch results as %key variables', () => {
    const result = renderTemplate('Practitioner/{{%patient.generalPractitioner.reference}}', context, {
      patient: { resourceType: 'Patient', generalPractitioner: [{ reference: 'gp-7' }] },
    });
    expect(result).toEqual({ ok: true, url: 'Practitioner/gp-7' });
    expect(templateDependencies('X/{{%patient.id}}?y={{%other}}', ['patient', 'obs'])).toEqual(['patient']);
  });
});
