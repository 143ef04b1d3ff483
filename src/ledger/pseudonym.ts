/**
 * The pseudonymous patient key of the ledger and the audit trail: an HMAC of the FHIR server and
 * the patient's id under a secret key, so the same patient gets the same key (feedback, cards and
 * calls about one patient can be linked) while the key reveals neither the id nor, without the
 * secret, whether a given id is in the records. Never the FHIR id itself.
 *
 * The secret is CAIRN_PSEUDONYM_KEY when set (instances sharing a database must then share it);
 * otherwise one is generated at first use and kept in the database (cairn_secrets), so every
 * instance on that database agrees and keys stay stable across restarts.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database.js';

const SECRET_NAME = 'patient-pseudonym-key';

export interface PatientRef {
  /** The FHIR server the id belongs to (ids are only unique per server); empty when the call named none. */
  fhirServer?: string;
  patientId: string;
}

export type PatientKeyer = (patient: PatientRef) => Promise<string>;

/** 128 bits of HMAC-SHA256, hex: collision-free for any realistic number of patients, short in a log line. */
export function patientKey(secret: string, patient: PatientRef): string {
  return createHmac('sha256', secret)
    .update(`${(patient.fhirServer ?? '').replace(/\/+$/, '')}\n${patient.patientId}`)
    .digest('hex')
    .slice(0, 32);
}

/** Reads (or creates once, race-free between instances) the stored secret. */
export async function storedSecret(db: Queryable): Promise<string> {
  await db.query('INSERT INTO cairn_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [SECRET_NAME, randomBytes(32).toString('base64url')]);
  const res = await db.query<{ value: string }>('SELECT value FROM cairn_secrets WHERE name = $1', [SECRET_NAME]);
  const value = res.rows[0]?.value;
  if (!value) throw new Error('the patient pseudonym key could not be stored');
  return value;
}

/** A keyer that loads the secret on first use (after migrations) and then works without I/O. */
export function patientKeyer(db: Queryable, configuredSecret?: string): PatientKeyer {
  let secret: Promise<string> | undefined = configuredSecret ? Promise.resolve(configuredSecret) : undefined;
  return async (patient) => {
    secret ??= storedSecret(db).catch((err: unknown) => {
      secret = undefined; // try again on the next call
      throw err;
    });
    return patientKey(await secret, patient);
  };
}
