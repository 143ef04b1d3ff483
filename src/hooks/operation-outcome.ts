/**
 * FHIR R4 OperationOutcome bodies for CDS Hooks error responses (400, 401, 412, 5xx).
 * 2.0.1 leaves error bodies open; the 3.0 ballot says any non-2xx SHOULD carry an OperationOutcome.
 */

/** R4 value set http://hl7.org/fhir/ValueSet/issue-severity (required binding). */
export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';

/** R4 value set http://hl7.org/fhir/ValueSet/issue-type (required binding). */
export type IssueType =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'value'
  | 'invariant'
  | 'security'
  | 'login'
  | 'unknown'
  | 'expired'
  | 'forbidden'
  | 'suppressed'
  | 'processing'
  | 'not-supported'
  | 'duplicate'
  | 'multiple-matches'
  | 'not-found'
  | 'deleted'
  | 'too-long'
  | 'code-invalid'
  | 'extension'
  | 'too-costly'
  | 'business-rule'
  | 'conflict'
  | 'transient'
  | 'lock-error'
  | 'no-store'
  | 'exception'
  | 'timeout'
  | 'incomplete'
  | 'throttled'
  | 'informational';

export interface OperationOutcomeIssue {
  severity: IssueSeverity;
  code: IssueType;
  diagnostics?: string;
}

/**
 * Structural on purpose: assignable both to `fhir4.OperationOutcome` (@types/fhir) and to
 * Medplum's `OperationOutcome`, which are not assignable to each other.
 */
export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: OperationOutcomeIssue[];
}

/**
 * One issue per diagnostic string. Blank diagnostics are dropped (FHIR forbids empty strings);
 * with none left, a single issue without diagnostics is returned, since an OperationOutcome
 * needs at least one issue.
 */
export function operationOutcome(
  severity: IssueSeverity,
  code: IssueType,
  diagnostics: string | readonly string[],
): OperationOutcome {
  const texts = (typeof diagnostics === 'string' ? [diagnostics] : diagnostics).filter((d) => d.trim() !== '');
  const issue: OperationOutcomeIssue[] =
    texts.length === 0 ? [{ severity, code }] : texts.map((d) => ({ severity, code, diagnostics: d }));
  return { resourceType: 'OperationOutcome', issue };
}
