/** What Cairn's API for apps answers about trials and screenings (see /openapi.json: TrialList, Screening, ScreeningPage). */

export interface TrialSummary {
  nctId: string;
  title: string;
  /** ClinicalTrials.gov overall status, e.g. RECRUITING. */
  status: string;
  phase: string | null;
  conditions: string[];
  sex: 'all' | 'female' | 'male';
  minAgeYears: number | null;
  maxAgeYears: number | null;
  /** Number of atomic eligibility criteria. */
  criteria: number;
  links: { self: string; registry: string };
}

export interface TrialList {
  total: number;
  offset: number;
  limit: number;
  trials: TrialSummary[];
  next?: string;
}

export type ScreeningStatus = 'queued' | 'running' | 'completed' | 'cancelled';
export type Category = 'eligible' | 'excluded' | 'irrelevant' | 'unknown';
export type ItemStatus = 'pending' | 'done' | 'failed';

export interface Screening {
  id: string;
  nctId: string;
  status: ScreeningStatus;
  source: { kind: 'patients' } | { kind: 'group'; group: string };
  progress: { total: number; done: number; failed: number; pending: number };
  error?: string;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
  cancelledAt?: string;
  links: { self: string };
}

export interface ScreeningList {
  total: number;
  offset: number;
  limit: number;
  screenings: Screening[];
  next?: string;
}

export interface Evidence {
  kind: 'record' | 'note';
  /** Where it is in the record, e.g. Observation/123 or DocumentReference/9. */
  source: string;
  /** The recorded value or the note sentence, verbatim. */
  text: string;
}

export interface CriterionRow {
  /** 1-based position in the trial's criteria. */
  number: number;
  kind: 'inclusion' | 'exclusion';
  /** Verbatim from the trial record. */
  text: string;
  status: 'met' | 'not-met' | 'unknown';
  basis: 'record' | 'note' | 'assumed-absent' | 'not-applicable' | 'none';
  category: string;
  alternatives?: string;
  evidence: Evidence[];
  reason: string;
}

export interface PatientResult {
  /** Patient/<id> */
  patient: string;
  status: ItemStatus;
  category?: Category;
  summary?: string;
  criteria?: CriterionRow[];
  error?: string;
  attempts: number;
  finishedAt?: string;
}

export interface ScreeningPage extends Screening {
  categories: Record<Category, number>;
  results: PatientResult[];
  page: { offset: number; limit: number; matching: number; next?: string };
}

export type ExportFormat = 'csv' | 'group' | 'research-subjects';
