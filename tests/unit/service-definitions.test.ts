import { describe, expect, it } from '@jest/globals';
import { derivePrefetchTemplates } from '../../src/fhir/context/data-requirements.js';
import { defaultValueSetIndex } from '../../src/fhir/context/index.js';
import { checkDiscoveryResponse } from '../../dev/hooks-contract.js';
import { loadServiceDefinitions } from '../../src/hooks/service-definitions.js';
import { SERVICE_DATA_REQUIREMENTS } from '../../src/services/data-requirements.js';
import { repoPath } from '../support/repo-root.js';

describe('shipped service definitions (cds-hooks/)', () => {
  it('form a conformant discovery response with 2.0-safe prefetch tokens', async () => {
    const declared = await loadServiceDefinitions(repoPath('cds-hooks'));
    expect(declared.length).toBeGreaterThan(0);
    expect(checkDiscoveryResponse({ services: declared.map((d) => d.definition) }, { specVersion: '2.0' })).toEqual([]);
  });

  it("prefetch exactly what each service's logic reads (run `npm run prefetch` after changing one)", async () => {
    const index = defaultValueSetIndex();
    for (const { definition } of await loadServiceDefinitions(repoPath('cds-hooks'))) {
      const needs = SERVICE_DATA_REQUIREMENTS[definition.id];
      expect(needs).toBeDefined();
      expect(definition.prefetch).toEqual(derivePrefetchTemplates(needs!, index));
    }
  });
});
