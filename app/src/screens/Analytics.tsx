import type { Client } from '../smart';

export function Analytics({ client }: { client: Client }) {
  return <h1>Analytics {client.state.serverUrl}</h1>;
}
