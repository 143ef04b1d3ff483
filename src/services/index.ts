import type { ServiceLogic } from '../hooks/service.js';

/**
 * The logic of each shipped CDS service, by the id of its definition in `cds-hooks/`.
 * The clinical services (triage, diagnosis, trial-match) register here.
 */
export const serviceLogic: Readonly<Record<string, ServiceLogic>> = {};
