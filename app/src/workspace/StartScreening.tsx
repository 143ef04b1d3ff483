/**
 * Start a screening of one trial (POST /api/trials/{nctId}/screenings) for a FHIR Group or a list
 * of patients. Patient ids may be typed or pasted (one per line, or separated by commas or
 * spaces, with or without "Patient/"), or added from a name search on the FHIR server.
 */
import { useId, useState, type FormEvent } from 'react';
import type { Client } from '../smart';
import { cairn, errorText } from './cairn';
import { searchPatients, type PatientLabel } from './patients';
import type { Screening, TrialSummary } from './types';
import { EmptyNotice, ErrorNotice, plural } from './ui';

/** FHIR id: [A-Za-z0-9\-.]{1,64} (R4 §2.24.0.1). */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
/** What Cairn takes per screening (MAX_PATIENTS_PER_SCREENING). */
const MAX_PATIENTS = 10_000;

/** The ids in a pasted list, distinct, in order; and the entries that are not ids. */
export function parsePatientList(text: string): { ids: string[]; invalid: string[] } {
  const ids: string[] = [];
  const invalid: string[] = [];
  for (const raw of text.split(/[\s,;]+/)) {
    if (!raw) continue;
    const id = raw.replace(/^Patient\//, '');
    if (FHIR_ID.test(id)) ids.push(id);
    else invalid.push(raw);
  }
  return { ids: [...new Set(ids)], invalid };
}

export function parseGroup(text: string): string | undefined {
  const id = text.trim().replace(/^Group\//, '');
  return FHIR_ID.test(id) ? id : undefined;
}

function describePatient(p: PatientLabel): string {
  return [p.gender, p.birthDate && `born ${p.birthDate}`].filter(Boolean).join(', ');
}

export function StartScreening({ client, trial, onStarted }: { client: Client; trial?: TrialSummary; onStarted: (s: Screening) => void }) {
  const [mode, setMode] = useState<'group' | 'patients'>('patients');
  const [group, setGroup] = useState('');
  const [patients, setPatients] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [nameQuery, setNameQuery] = useState('');
  const [found, setFound] = useState<PatientLabel[]>();
  const [findError, setFindError] = useState<string>();
  const ids = useId();
  const parsed = parsePatientList(patients);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!trial) return;
    setError(undefined);
    let body: { group: string } | { patients: string[] };
    if (mode === 'group') {
      const id = parseGroup(group);
      if (!id) return setError('Enter the Group’s id, e.g. Group/diabetes-clinic or diabetes-clinic.');
      body = { group: `Group/${id}` };
    } else {
      if (parsed.invalid.length > 0) return setError(`These are not patient ids: ${parsed.invalid.slice(0, 5).join(', ')}${parsed.invalid.length > 5 ? '…' : ''}`);
      if (parsed.ids.length === 0) return setError('Enter at least one patient id, or add patients by name.');
      if (parsed.ids.length > MAX_PATIENTS) return setError(`At most ${MAX_PATIENTS.toLocaleString()} patients per screening; split the list.`);
      body = { patients: parsed.ids.map((id) => `Patient/${id}`) };
    }
    setBusy(true);
    try {
      const started = await cairn<Screening>(client, `/api/trials/${encodeURIComponent(trial.nctId)}/screenings`, { method: 'POST', body: JSON.stringify(body) });
      onStarted(started);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const find = async (e: FormEvent) => {
    e.preventDefault();
    setFindError(undefined);
    try {
      setFound(await searchPatients(client, nameQuery));
    } catch (err) {
      setFindError(errorText(err));
    }
  };
  const add = (list: PatientLabel[]) => {
    const merged = parsePatientList(`${patients}\n${list.map((p) => p.id).join('\n')}`).ids;
    setPatients(merged.join('\n'));
  };

  if (!trial) {
    return (
      <section className="ws-card" aria-labelledby="ws-start-heading">
        <h2 id="ws-start-heading">2. Choose patients</h2>
        <EmptyNotice>Choose a trial first: its criteria are what each patient is screened against.</EmptyNotice>
      </section>
    );
  }

  return (
    <section className="ws-card" aria-labelledby="ws-start-heading">
      <h2 id="ws-start-heading">2. Choose patients</h2>
      <p className="ws-chosen">
        Screening for <strong>{trial.nctId}</strong>: {trial.title}
      </p>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <fieldset className="ws-choice">
          <legend>Patients to screen</legend>
          <label>
            <input type="radio" name={`${ids}-mode`} value="patients" checked={mode === 'patients'} onChange={() => setMode('patients')} /> A list of patients
          </label>
          <label>
            <input type="radio" name={`${ids}-mode`} value="group" checked={mode === 'group'} onChange={() => setMode('group')} /> A FHIR Group
          </label>
        </fieldset>
        {mode === 'group' ? (
          <div className="ws-field">
            <label htmlFor={`${ids}-group`}>Group id</label>
            <input id={`${ids}-group`} value={group} onChange={(e) => setGroup(e.target.value)} placeholder="Group/…" aria-describedby={`${ids}-group-hint`} autoComplete="off" />
            <p id={`${ids}-group-hint`} className="ws-hint">
              A Group on the FHIR server; its active Patient members are screened.
            </p>
          </div>
        ) : (
          <div className="ws-field">
            <label htmlFor={`${ids}-patients`}>Patient ids</label>
            <textarea
              id={`${ids}-patients`}
              rows={5}
              value={patients}
              onChange={(e) => setPatients(e.target.value)}
              placeholder={'Patient/1234\nPatient/5678'}
              aria-describedby={`${ids}-patients-hint`}
              spellCheck={false}
            />
            <p id={`${ids}-patients-hint`} className="ws-hint">
              One per line, or separated by commas or spaces; “Patient/” may be left out. {parsed.ids.length > 0 && <strong>{plural(parsed.ids.length, 'patient')} listed.</strong>}
            </p>
          </div>
        )}
        {error && <ErrorNotice title="The screening was not started." message={error} />}
        <button type="submit" className="ui-button ui-button-primary" data-testid="start-screening" disabled={busy}>
          {busy ? 'Starting…' : 'Start screening'}
        </button>
      </form>

      {mode === 'patients' && (
        <details className="ws-find">
          <summary>Add patients by name</summary>
          <form onSubmit={(e) => void find(e)} className="ws-inline">
            <label htmlFor={`${ids}-name`}>Name</label>
            <input id={`${ids}-name`} type="search" value={nameQuery} onChange={(e) => setNameQuery(e.target.value)} placeholder="family or given name; empty: the first 50" />
            <button type="submit" className="ui-button">
              Find
            </button>
          </form>
          {findError && <ErrorNotice title="Patients could not be searched." message={findError} />}
          {found && found.length === 0 && <EmptyNotice>No patient on the FHIR server has that name.</EmptyNotice>}
          {found && found.length > 0 && (
            <>
              <button type="button" className="ui-button ui-button-quiet" onClick={() => add(found)}>
                Add all {found.length}
              </button>
              <ul className="ws-found">
                {found.map((p) => (
                  <li key={p.id}>
                    <span>
                      {p.name} <span className="ws-meta">{describePatient(p)}</span>
                    </span>
                    <button type="button" className="ui-button ui-button-small" onClick={() => add([p])} disabled={parsed.ids.includes(p.id)}>
                      {parsed.ids.includes(p.id) ? 'Added' : 'Add'}
                      <span className="visually-hidden"> {p.name}</span>
                    </button>
                  </li>
                ))}
              </ul>
            </>
          )}
        </details>
      )}
    </section>
  );
}
