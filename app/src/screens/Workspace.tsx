import type { Client } from '../smart';

export function Workspace({ client }: { client: Client }) {
  return <h1>Workspace {client.state.serverUrl}</h1>;
}
