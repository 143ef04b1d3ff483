/**
 * A trial coordinator opens the workspace (`launch.html?iss=…&workspace`: user-level scopes, no
 * patient), screens a list of patients against a trial, follows the progress, reads one patient's
 * criteria and exports the results as CSV and as a FHIR Bundle. The patients are read by Cairn's
 * screening worker from the EHR with Cairn's own credentials (CAIRN_SCREENING_FHIR_TOKEN).
 */
import { expect, test, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { apiFromPage, demoPatient, HIV_PATIENT, HIV_TRIAL, launchState, SEPSIS_PATIENT, workspaceLaunch } from './support/launch.js';
import { untilBuilt } from './support/screens.js';

/** The HIV candidate (eligible), the ED patient and a patient with notes only. */
const screened = () => [HIV_PATIENT(), SEPSIS_PATIENT(), demoPatient('notes-only.json')];

interface ScreeningPage {
  id: string;
  status: string;
  progress: { total: number; done: number; failed: number; pending: number };
  results: Array<{ patient: string; category: string; criteria: unknown[] }>;
}

async function screeningDone(page: Page, id: string): Promise<ScreeningPage> {
  let screening: ScreeningPage | undefined;
  await expect
    .poll(
      async () => {
        screening = (await apiFromPage<ScreeningPage>(page, `/api/screenings/${id}`)).body;
        return screening.status;
      },
      { timeout: 60_000, intervals: [250, 500, 1000] },
    )
    .toBe('completed');
  return screening as ScreeningPage;
}

test('the workspace launch signs in at user level, with no patient, and opens the trial screening workspace', async ({ page }) => {
  await workspaceLaunch(page);
  await expect(page.getByRole('link', { name: 'Trial screening' })).toHaveAttribute('aria-current', 'page');
  // No patient in context: the evidence screen is not offered.
  await expect(page.getByRole('link', { name: 'Evidence' })).toHaveCount(0);
  const state = await launchState(page);
  expect(state.tokenResponse.patient).toBeUndefined();
  expect(state.tokenResponse.scope.split(' ')).toEqual(expect.arrayContaining(['openid', 'fhirUser', 'user/Patient.rs', 'user/Condition.rs', 'user/Observation.rs']));
});

test("the workspace's token screens a list of patients through Cairn's API, read from the EHR with Cairn's own credentials", async ({ page }) => {
  await workspaceLaunch(page);
  const patients = screened();
  const started = await apiFromPage<ScreeningPage>(page, `/api/trials/${HIV_TRIAL}/screenings`, { method: 'POST', body: { patients: patients.map((p) => `Patient/${p.id}`) } });
  expect(started.status).toBe(202);

  const done = await screeningDone(page, started.body.id);
  expect(done.progress).toMatchObject({ total: 3, done: 3, failed: 0, pending: 0 });
  const category = Object.fromEntries(done.results.map((r) => [r.patient, r.category]));
  expect(category[`Patient/${HIV_PATIENT().id}`]).toBe('eligible');
  expect(done.results.every((r) => r.criteria.length > 0)).toBe(true);

  // The screening is the user's: it is listed for them.
  const mine = await apiFromPage<{ screenings: Array<{ id: string }> }>(page, '/api/screenings');
  expect(mine.body.screenings.map((s) => s.id)).toContain(started.body.id);
});

test.describe('the workspace screen', () => {
  untilBuilt('workspace');

  test('find a trial, screen a list of patients, follow the progress, drill into a patient, export CSV and a FHIR Bundle', async ({ page }) => {
    await workspaceLaunch(page);
    const patients = screened();
    const hiv = HIV_PATIENT();

    await page.getByTestId('trial-search').fill('HIV');
    const row = page.getByTestId('trial-row').filter({ hasText: HIV_TRIAL });
    await expect(row).toBeVisible();
    await row.getByRole('button', { name: 'Choose' }).click();

    await page.getByLabel('Patient ids').fill(patients.map((p) => `Patient/${p.id}`).join('\n'));
    await page.getByTestId('start-screening').click();
    const progress = page.getByTestId('screening-progress');
    await expect(progress).toBeVisible();

    const results = page.getByTestId('results-table');
    await expect(results.getByTestId('result-row')).toHaveCount(patients.length, { timeout: 60_000 });
    // Finished: the bar is full and the counts add up to the patients screened.
    await expect(progress).toHaveAttribute('aria-valuenow', String(patients.length), { timeout: 60_000 });
    await expect(progress).toHaveAttribute('aria-valuemax', String(patients.length));
    await expect(results.getByTestId('result-row').filter({ hasText: hiv.id }).or(results.getByTestId('result-row').filter({ hasText: hiv.name }))).toContainText(/eligible/i);

    // One patient's criteria: the trial's criteria verbatim, each judged.
    await results.locator(`[data-testid=result-row][data-patient$="${hiv.id}"]`).getByRole('button').first().press('Enter');
    const drilldown = page.getByTestId('criteria-drilldown');
    await expect(drilldown).toBeVisible();
    const trial = await apiFromPage<{ criteria: Array<{ text: string }> }>(page, `/api/trials/${HIV_TRIAL}`);
    await expect(drilldown).toContainText(trial.body.criteria[0]?.text.slice(0, 60) ?? '');
    await expect(drilldown).toContainText(/\bmet\b/i);

    // The exports are downloads whose content is the results.
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    const csv = await readFile(await csvDownload.path(), 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/patient/i);
    expect(lines[0]).toMatch(/category/i);
    expect(lines).toHaveLength(patients.length + 1);
    expect(lines.find((l) => l.includes(hiv.id))).toMatch(/eligible/);

    const [fhirDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-fhir').click()]);
    const bundle = JSON.parse(await readFile(await fhirDownload.path(), 'utf8')) as {
      resourceType: string;
      type: string;
      entry: Array<{ resource: { resourceType: string; individual?: { reference?: string }; member?: Array<{ entity: { reference: string } }> } }>;
    };
    expect(bundle.resourceType).toBe('Bundle');
    // Either ResearchSubjects in a transaction or a Group of the candidates: the eligible patient is in it.
    const referenced = bundle.entry.flatMap((e) => [e.resource.individual?.reference, ...(e.resource.member ?? []).map((m) => m.entity.reference)]);
    expect(referenced).toContain(`Patient/${hiv.id}`);
  });
});
