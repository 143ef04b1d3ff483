import type { Client } from '../smart';

export function Evidence({ client }: { client: Client }) {
  return <h1>Evidence {client.state.serverUrl}</h1>;
}
