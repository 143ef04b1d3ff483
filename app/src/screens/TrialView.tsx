import type { Client } from '../smart';

export function TrialView({ client, nctId }: { client: Client; nctId: string }) {
  return <h1>{nctId} for {client.patient.id}</h1>;
}
