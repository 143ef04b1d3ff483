/**
 * A stand-in FHIR terminology server for tests: answers `CodeSystem/$subsumes` from a tiny
 * hand-written SNOMED CT hierarchy (child → parents). It counts requests (to prove caching) and can be made slow or
 * failing (to prove the timeout and the fallback).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const SCT = 'http://snomed.info/sct';

/** child concept → its parents (is-a), with display names; a small, real-shaped excerpt. */
export const HIERARCHY: Readonly<Record<string, { display: string; parents: string[] }>> = {
  '38341003': { display: 'Hypertensive disorder, systemic arterial (disorder)', parents: [] },
  '59621000': { display: 'Essential hypertension (disorder)', parents: ['38341003'] },
  // More specific hypertensive disorders: one the shipped value set lists, one it does not.
  '1201005': { display: 'Benign essential hypertension (disorder)', parents: ['59621000'] },
  '712832005': { display: 'Supine hypertension (disorder)', parents: ['38341003'] },
  '73211009': { display: 'Diabetes mellitus (disorder)', parents: [] },
  '44054006': { display: 'Diabetes mellitus type 2 (disorder)', parents: ['73211009'] },
  '709044004': { display: 'Chronic kidney disease (disorder)', parents: [] },
  '15777000': { display: 'Prediabetes (finding)', parents: [] },
  '195967001': { display: 'Asthma (disorder)', parents: [] },
};

function ancestors(code: string): Set<string> {
  const out = new Set<string>();
  const walk = (c: string): void => {
    for (const p of HIERARCHY[c]?.parents ?? []) {
      if (!out.has(p)) {
        out.add(p);
        walk(p);
      }
    }
  };
  walk(code);
  return out;
}

export function subsumes(codeA: string, codeB: string): 'equivalent' | 'subsumes' | 'subsumed-by' | 'not-subsumed' {
  if (codeA === codeB) return 'equivalent';
  if (ancestors(codeB).has(codeA)) return 'subsumes';
  if (ancestors(codeA).has(codeB)) return 'subsumed-by';
  return 'not-subsumed';
}

export interface TerminologyStandin {
  base: string;
  /** Requests received, by operation. */
  requests: { subsumes: number };
  /** Delay every answer by this many ms (a slow server). */
  delayMs: number;
  /** Answer every request with this HTTP status instead (a failing server). */
  failWith: number | undefined;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/fhir+json' });
  res.end(JSON.stringify(body));
}

/** Listens on 127.0.0.1; `port` 0 (default) takes a free one, else TERMINOLOGY_STANDIN_PORT when set. */
export async function startTerminologyStandin(port = Number(process.env['TERMINOLOGY_STANDIN_PORT'] ?? 0)): Promise<TerminologyStandin> {
  const state: TerminologyStandin = { base: '', requests: { subsumes: 0 }, delayMs: 0, failWith: undefined, close: async () => {} };
  const pending = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const answer = (): void => {
      if (url.pathname.endsWith('/CodeSystem/$subsumes')) {
        state.requests.subsumes++;
        if (state.failWith) return send(res, state.failWith, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] });
        const [system, a, b] = ['system', 'codeA', 'codeB'].map((k) => url.searchParams.get(k) ?? '');
        if (system !== SCT || !HIERARCHY[a as string] || !HIERARCHY[b as string]) {
          return send(res, 400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: `unknown code ${a} or ${b}` }] });
        }
        return send(res, 200, { resourceType: 'Parameters', parameter: [{ name: 'outcome', valueCode: subsumes(a as string, b as string) }] });
      }
      send(res, 404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
    };
    if (state.delayMs > 0) {
      const timer = setTimeout(() => {
        pending.delete(timer);
        if (!res.destroyed) answer();
      }, state.delayMs);
      pending.add(timer);
    } else answer();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const timer of pending) clearTimeout(timer);
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
