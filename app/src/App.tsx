/**
 * The app's frame: completes the SMART launch, then shows one screen at a time, chosen by the
 * URL's hash (#/evidence, #/trials/NCT…, #/workspace, #/analytics) so that the browser's back
 * button and bookmarks work and the server needs only to serve index.html.
 */
import { useEffect, useState } from 'react';
import { ready, type Client } from './smart';
import { Evidence } from './screens/Evidence';
import { TrialView } from './screens/TrialView';
import { Workspace } from './screens/Workspace';
import { Analytics } from './screens/Analytics';

type Route = { screen: 'evidence' } | { screen: 'trial'; nctId: string } | { screen: 'workspace' } | { screen: 'analytics' };

function parseRoute(hash: string, client: Client | undefined): Route {
  const [screen, arg] = hash.replace(/^#\/?/, '').split('/');
  if (screen === 'trials' && arg) return { screen: 'trial', nctId: decodeURIComponent(arg) };
  if (screen === 'workspace') return { screen: 'workspace' };
  if (screen === 'analytics') return { screen: 'analytics' };
  if (screen === 'evidence' || client?.patient.id) return { screen: 'evidence' };
  return { screen: 'workspace' };
}

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

export function App() {
  const [client, setClient] = useState<Client>();
  const [error, setError] = useState<string>();
  const hash = useHash();
  useEffect(() => {
    ready().then(setClient, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);

  if (error) {
    return (
      <main className="page">
        <h1>Cairn</h1>
        <p role="alert">The launch did not complete: {error}. Open Cairn again from the EHR.</p>
      </main>
    );
  }
  if (!client) return <main className="page" aria-busy="true"><p>Signing in…</p></main>;

  const route = parseRoute(hash, client);
  const hasPatient = Boolean(client.patient.id);
  return (
    <>
      <header className="top">
        <span className="brand">Cairn</span>
        <nav aria-label="Screens">
          {hasPatient && <a href="#/evidence" aria-current={route.screen === 'evidence' ? 'page' : undefined}>Evidence</a>}
          <a href="#/workspace" aria-current={route.screen === 'workspace' ? 'page' : undefined}>Trial screening</a>
          <a href="#/analytics" aria-current={route.screen === 'analytics' ? 'page' : undefined}>Feedback analytics</a>
        </nav>
      </header>
      <main className="page" id="main">
        {route.screen === 'evidence' && <Evidence client={client} />}
        {route.screen === 'trial' && <TrialView client={client} nctId={route.nctId} />}
        {route.screen === 'workspace' && <Workspace client={client} />}
        {route.screen === 'analytics' && <Analytics client={client} />}
      </main>
    </>
  );
}
