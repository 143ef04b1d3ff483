import { startDevFhirServer } from '../dev/fhir-server/index.js';
import { demoPrefetch, loadDemoPatient } from './support/demo-prefetch.js';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
const fhir = await startDevFhirServer({ port: 0 });
const id = await loadDemoPatient(fhir, 'fhir-profiles/examples/edge-cases/ed-deteriorating-vitals.json');
const prefetch = await demoPrefetch(fhir, 'triage', id);
writeFileSync('/tmp/prof/body.json', JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId: id }, prefetch }));
await fhir.close();
