import type { Response } from 'express';
import type { OperationOutcome } from '../../hooks/operation-outcome.js';
import { FHIR_JSON } from './doc.js';

/** A refusal or error of the API for apps: its status and an OperationOutcome. */
export function sendOutcome(res: Response, status: number, outcome: OperationOutcome): void {
  res.status(status).type(FHIR_JSON).send(JSON.stringify(outcome));
}
