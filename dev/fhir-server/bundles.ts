import { allOk, badRequest, OperationOutcomeError } from '@medplum/core';
import { processBatch } from '@medplum/fhir-router';
import type { FhirRepository, FhirRequest, FhirRouteHandler, FhirRouter } from '@medplum/fhir-router';
import type { Bundle, BundleEntry, OperationOutcome, Resource } from '@medplum/fhirtypes';

/** The failed entry's outcome (and so its status), with the entry it came from in the diagnostics. */
function entryFailure(result: BundleEntry, index: number, entries: Bundle['entry']): OperationOutcomeError {
  const outcome: OperationOutcome = result.response?.outcome ?? badRequest('Transaction entry failed');
  const req = entries?.[index]?.request;
  const where = `Bundle.entry[${index}]${req ? ` (${req.method} ${req.url})` : ''}`;
  return new OperationOutcomeError({
    ...outcome,
    issue: (outcome.issue ?? []).map((issue) => ({
      ...issue,
      diagnostics: issue.diagnostics ? `${where}: ${issue.diagnostics}` : where,
    })),
  });
}

/**
 * Runs a transaction Bundle all or nothing: the repository's transaction rolls every write back
 * when any entry fails, and the response is that entry's OperationOutcome and status.
 *
 * The entries run through Medplum's batch mode: its transaction mode refuses Bundles with more
 * than 50 updates, or with a conditional entry and more than 8 entries (limits meant for its SQL
 * backend), and its atomicity would come from the repository anyway. Batch mode still orders the
 * entries as a transaction does and rewrites urn:uuid references.
 */
export async function runTransaction(
  req: FhirRequest,
  repo: FhirRepository,
  router: FhirRouter,
  bundle: Bundle,
): Promise<Bundle> {
  return repo.withTransaction(async () => {
    const response = await processBatch(req, repo, router, { ...bundle, type: 'batch' });
    const entries = response.entry ?? [];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (!entry || Number(entry.response?.status ?? 500) >= 400) {
        throw entryFailure(entry ?? {}, i, bundle.entry);
      }
    }
    return { ...response, type: 'transaction-response' };
  });
}

/** POST to the base URL: transaction (atomic) or batch (entry by entry) Bundles. */
export const bundleHandler: FhirRouteHandler = async (req, repo, router) => {
  const bundle = req.body as Resource | undefined;
  if (bundle?.resourceType !== 'Bundle') return [badRequest('Expected a Bundle')];
  if (bundle.type === 'transaction') return [allOk, await runTransaction(req, repo, router, bundle)];
  if (bundle.type === 'batch') return [allOk, await processBatch(req, repo, router, bundle)];
  return [badRequest(`Only transaction and batch Bundles can be posted to the base URL, not ${bundle.type}`)];
};
