// `npm run prefetch`: prints the prefetch templates derived from each service's data requirements,
// for pasting into cds-hooks/<id>.json when a service's logic starts reading something new.
import { derivePrefetchTemplates } from '../fhir/context/data-requirements.js';
import { defaultValueSetIndex } from '../fhir/context/index.js';
import { SERVICE_DATA_REQUIREMENTS } from '../services/data-requirements.js';

const index = defaultValueSetIndex();
for (const [id, needs] of Object.entries(SERVICE_DATA_REQUIREMENTS)) {
  console.log(`${id}:`);
  console.log(JSON.stringify(derivePrefetchTemplates(needs, index), null, 2));
}
