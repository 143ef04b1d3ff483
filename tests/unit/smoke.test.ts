import { describe, expect, it } from '@jest/globals';
import { Client } from 'fhir-kit-client';
describe('esm', () => { it('loads fhir-kit-client', () => { expect(typeof Client).toBe('function'); }); });
