import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger, redactForLog } from '../../src/log.js';

/** A logger at `level` whose JSON lines are kept in memory. */
function capture(level = 'trace') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger(level, stream), text: () => lines.join('') };
}

describe('redactForLog', () => {
  it.each([
    ['Patient/p123', 'Patient/[id]'],
    ['/fhir/Patient/p123: HTTP 500', '/fhir/Patient/[id]: HTTP 500'],
    ['http://ehr.example.org/fhir/Observation/o-9/_history/2', 'http://ehr.example.org/fhir/Observation/[id]/_history/2'],
    ['Observation?patient=p123&code=8480-6', 'Observation?…'],
    ['subject Patient/p123, encounter Encounter/e7', 'subject Patient/[id], encounter Encounter/[id]'],
    ['http://user:secret@127.0.0.1:9303/fhir', 'http://[redacted]@127.0.0.1:9303/fhir'],
    ['postgres://cairn:pw@db:5432/cairn', 'postgres://[redacted]@db:5432/cairn'],
    ['https://token@ehr.example.org/fhir/Patient/1', 'https://[redacted]@ehr.example.org/fhir/Patient/[id]'],
  ])('%s → %s', (input, expected) => {
    expect(redactForLog(input)).toBe(expected);
  });

  it.each([
    'ACC/AHA 2017 hypertension guideline',
    'HTTP/1.1 200',
    'at resolveOne (/work/src/hooks/prefetch/resolve.ts:88:11)',
    'Patient/[id] already redacted',
    'guidelines/kdigo-ckd-2024.md',
  ])('leaves text without FHIR ids or credentials alone: %s', (text) => {
    expect(redactForLog(text)).toBe(text);
  });
});

describe('the logger', () => {
  it('redacts FHIR ids and URL credentials at every level, in fields, nested fields, errors, messages and child bindings', () => {
    const { log, text } = capture('trace');
    const child = log.child({ fhirServer: 'http://user:pw-in-binding@ehr.example.org/fhir' });
    child.trace({ reason: 'Patient/pat-trace: no answer' }, 'trace');
    child.debug({ prefetchFailures: [{ key: 'patient', detail: '/fhir/Patient/pat-debug: HTTP 500' }] }, 'prefetch resolved');
    child.info({ url: 'http://u:pw-info@ehr.example.org/fhir/Patient/pat-info' }, 'info');
    child.warn({ err: new Error('GET http://u:pw-err@ehr/fhir/Condition?patient=pat-err failed') }, 'warn');
    child.error('message naming Patient/pat-msg and http://u:pw-msg@ehr/fhir');
    const out = text();
    expect(out.split('\n').filter(Boolean)).toHaveLength(5);
    for (const secret of ['pat-trace', 'pat-debug', 'pat-info', 'pat-err', 'pat-msg', 'pw-in-binding', 'pw-info', 'pw-err', 'pw-msg']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('Patient/[id]');
    expect(out).toContain('Condition?…');
    expect(out).toContain('[redacted]@ehr.example.org');
    // The error keeps its message (redacted) and type for the reader.
    expect(out).toMatch(/"type":"Error","message":"GET http:\/\/\[redacted\]@ehr\/fhir\/Condition\?… failed"/);
  });

  it('still censors tokens and prefetch bodies whole', () => {
    const { log, text } = capture('info');
    log.info({ fhirAuthorization: { access_token: 'tok-123' }, prefetch: { patient: { id: 'p1' } }, token: 'tok-456' }, 'request');
    expect(text()).not.toMatch(/tok-123|tok-456|"p1"/);
    expect(text()).toContain('[redacted]');
  });
});
