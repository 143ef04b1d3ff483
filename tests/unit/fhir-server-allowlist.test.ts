import { describe, expect, it } from '@jest/globals';
import { fhirServerAllowed, isUnderBase, normaliseFhirBase } from '../../src/fhir/server-allowlist.js';

describe('normaliseFhirBase', () => {
  it.each([
    ['http://0x7f000001:9303/hex', 'http://127.0.0.1:9303/hex'],
    ['http://2130706433', 'http://127.0.0.1'],
    ['http://127.1/', 'http://127.0.0.1'],
    ['http://0177.0.0.1:80/fhir', 'http://127.0.0.1/fhir'],
    ['HTTPS://EHR.Example.ORG:443/Fhir/R4//', 'https://ehr.example.org/Fhir/R4'],
    ['https://ehr.example.org/fhir/%2e%2e/admin', 'https://ehr.example.org/admin'],
    ['http://[::ffff:127.0.0.1]:8090/fhir', 'http://[::ffff:7f00:1]:8090/fhir'],
  ])('%s → %s', (raw, base) => {
    expect(normaliseFhirBase(raw)).toEqual({ ok: true, base });
  });

  it.each([
    ['http://user:pw@ehr.example.org/fhir', 'credentials'],
    ['http://user@ehr.example.org/fhir', 'credentials'],
    ['https://ehr.example.org/fhir?x=1', 'query-or-fragment'],
    ['https://ehr.example.org/fhir?', 'query-or-fragment'],
    ['https://ehr.example.org/fhir#x', 'query-or-fragment'],
    ['file:///etc/passwd', 'not-http'],
    ['gopher://127.0.0.1:6379/_INFO', 'not-http'],
    ['/fhir', 'not-a-url'],
  ])('refuses %s (%s)', (raw, problem) => {
    expect(normaliseFhirBase(raw)).toEqual({ ok: false, problem });
  });
});

describe('isUnderBase', () => {
  const base = 'https://ehr.example.org/fhir';
  it.each([
    ['https://ehr.example.org/fhir', true],
    ['https://ehr.example.org/fhir/', true],
    ['https://ehr.example.org/fhir/Patient/1', true],
    ['https://ehr.example.org/fhir?_getpages=abc', true],
    ['https://EHR.example.org:443/fhir/Patient/1', true],
    ['https://ehr.example.org/fhirx', false],
    ['https://ehr.example.org/admin', false],
    ['https://ehr.example.org/fhir/../admin', false],
    ['http://ehr.example.org/fhir', false],
    ['https://ehr.example.org:8443/fhir', false],
    ['https://ehr.example.org.evil.test/fhir', false],
    ['https://u:p@ehr.example.org/fhir', false],
  ])('%s under %s: %s', (url, under) => {
    expect(isUnderBase(url, base)).toBe(under);
  });

  it('takes an origin as any path on it', () => {
    expect(isUnderBase('https://ehr.example.org/any/path', 'https://ehr.example.org')).toBe(true);
    expect(isUnderBase('https://other.example.org/', 'https://ehr.example.org')).toBe(false);
  });
});

describe('fhirServerAllowed', () => {
  it('compares the normalised fhirServer with each base', () => {
    const list = { kind: 'bases' as const, bases: ['http://127.0.0.1:8090/fhir'] };
    expect(fhirServerAllowed(list, 'http://0x7f000001:8090/fhir/')).toBe(true);
    expect(fhirServerAllowed(list, 'http://127.1:8090/fhir/R4')).toBe(true);
    expect(fhirServerAllowed(list, 'http://127.0.0.1:8091/fhir')).toBe(false);
    expect(fhirServerAllowed(list, 'http://localhost:8090/fhir')).toBe(false);
    expect(fhirServerAllowed(list, 'http://x:y@127.0.0.1:8090/fhir')).toBe(false);
    expect(fhirServerAllowed({ kind: 'bases', bases: [] }, 'http://127.0.0.1:8090/fhir')).toBe(false);
  });

  it('allows loopback addresses only, in every spelling, when the list is loopback', () => {
    const loopback = { kind: 'loopback' as const };
    for (const url of ['http://127.0.0.1:8090/fhir', 'http://localhost/fhir', 'http://[::1]:8090/', 'http://127.1', 'http://2130706433', 'http://127.255.0.9']) {
      expect(fhirServerAllowed(loopback, url)).toBe(true);
    }
    for (const url of ['http://10.0.0.1/fhir', 'http://169.254.169.254/latest/meta-data', 'http://localhost.evil.test/', 'http://128.0.0.1/', 'http://[::2]/']) {
      expect(fhirServerAllowed(loopback, url)).toBe(false);
    }
  });
});
