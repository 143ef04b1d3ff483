/**
 * Cairn's CDS services called as the EHR calls them when a chart opens (patient-view, no
 * prefetch: Cairn reads the record from the EHR with the token the hook request carries). The
 * cards are then in Cairn's issued-card ledger, which is what feedback and analytics count.
 */
import { randomUUID } from 'node:crypto';
import type { Card } from '../../../src/hooks/schema.js';
import { stackInfo } from './stack-info.js';

const stack = stackInfo();

export interface HookAnswer {
  service: string;
  cards: Card[];
}

export async function patientViewCards(patientId: string): Promise<HookAnswer[]> {
  const discovery = (await (await fetch(`${stack.cairn}/cds-services`)).json()) as { services: Array<{ id: string; hook: string }> };
  const answers: HookAnswer[] = [];
  for (const service of discovery.services.filter((s) => s.hook === 'patient-view')) {
    const res = await fetch(`${stack.cairn}/cds-services/${service.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        hook: service.hook,
        hookInstance: randomUUID(),
        fhirServer: stack.fhirBase,
        fhirAuthorization: { access_token: stack.fhirToken, token_type: 'Bearer', expires_in: 3600, scope: 'user/*.read', subject: 'cairn-browser-tests' },
        context: { userId: 'Practitioner/demo', patientId },
      }),
    });
    if (!res.ok) throw new Error(`${service.id}: HTTP ${res.status} ${await res.text()}`);
    answers.push({ service: service.id, cards: ((await res.json()) as { cards: Card[] }).cards });
  }
  return answers;
}

/**
 * Feedback on a card as the EHR sends it (CDS Hooks feedback): accepted with its first suggestion,
 * or overridden with its first override reason.
 */
export async function sendFeedback(service: string, card: Card, outcome: 'accepted' | 'overridden'): Promise<void> {
  const suggestion = card.suggestions?.[0]?.uuid;
  const reason = card.overrideReasons?.[0];
  if (!card.uuid || (outcome === 'accepted' && !suggestion) || (outcome === 'overridden' && !reason)) {
    throw new Error(`card "${card.summary}" cannot be ${outcome}: it has no uuid, suggestion or override reason`);
  }
  const item = outcome === 'accepted' ? { acceptedSuggestions: [{ id: suggestion }] } : { overrideReason: { reason } };
  const res = await fetch(`${stack.cairn}/cds-services/${service}/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ feedback: [{ card: card.uuid, outcome, outcomeTimestamp: new Date().toISOString(), ...item }] }),
  });
  if (!res.ok) throw new Error(`feedback for ${service}: HTTP ${res.status} ${await res.text()}`);
}
