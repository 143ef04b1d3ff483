/**
 * Calls to Cairn's API from the coordinator screens: the app's `api` (which names the FHIR server
 * the token was issued for, X-FHIR-Server), and file downloads (exports), which need the token
 * too and so cannot be plain links.
 */
import { api, ApiError, CAIRN_BASE } from '../api';
import { accessToken, type Client } from '../smart';

export function fhirServerOf(client: Client): string {
  return client.state.serverUrl.replace(/\/$/, '');
}

export function cairn<T>(client: Client, path: string, init: RequestInit = {}): Promise<T> {
  return api<T>(client, path, init);
}

/** The file name from a Content-Disposition header (attachment; filename="…"). */
export function attachmentName(header: string | null, fallback: string): string {
  const match = header?.match(/filename="([^"]+)"/);
  return match?.[1] ?? fallback;
}

/** Fetches a file from Cairn and hands it to the browser as a download; returns its name. */
export async function download(client: Client, path: string, fallbackName: string): Promise<string> {
  const res = await fetch(`${CAIRN_BASE}${path}`, {
    headers: { authorization: `Bearer ${accessToken(client)}`, 'X-FHIR-Server': fhirServerOf(client) },
  });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const outcome = (await res.json()) as { issue?: { diagnostics?: string }[] };
      message = outcome.issue?.map((i) => i.diagnostics).filter(Boolean).join('; ') || message;
    } catch {
      // Not an OperationOutcome: the status line says what there is to say.
    }
    throw new ApiError(res.status, message);
  }
  const name = attachmentName(res.headers.get('content-disposition'), fallbackName);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The click has started the download; the URL may go once it has been read.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
