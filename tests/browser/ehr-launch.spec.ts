/**
 * A clinician opens Cairn from the EHR (the dev launcher plays the EHR): SMART App Launch 2.0 with
 * `launch` and `iss`, PKCE through fhirclient, then the evidence viewer for the launched patient.
 * The app's access token is what Cairn's API checks, by introspection at the EHR.
 */
import { expect, test } from '@playwright/test';
import { apiFromPage, demoPatient, ehrLaunch, HIV_PATIENT, launchState, SEPSIS_PATIENT, workspaceLaunch } from './support/launch.js';
import { patientViewCards } from './support/hooks.js';
import { untilBuilt } from './support/screens.js';

interface Evidence {
  patient: { id: string };
  triage: unknown;
  diagnosis: Array<{ status: string }>;
  series: { vitals: Array<{ key: string; points: unknown[] }> };
  passages: Array<{ text: string; documentId: string }>;
}

interface Analytics {
  totals: { issued: number; accepted: number; overridden: number };
}

const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

test('an EHR launch from the dev launcher signs in with PKCE and opens the evidence screen for the launched patient', async ({ page }) => {
  const patient = SEPSIS_PATIENT();
  await ehrLaunch(page, patient.id);

  await expect(page.getByRole('link', { name: 'Evidence' })).toHaveAttribute('aria-current', 'page');
  const state = await launchState(page);
  expect(state.tokenResponse.patient).toBe(patient.id);
  // What the app asked for (app/src/smart.ts) and the launcher granted: identity, the EHR launch, patient reads.
  expect(state.tokenResponse.scope.split(' ')).toEqual(expect.arrayContaining(['openid', 'fhirUser', 'launch', 'patient/Observation.rs', 'patient/Condition.rs']));
  // fhirclient removed the code and state from the address once it had exchanged them.
  expect(new URL(page.url()).searchParams.has('code')).toBe(false);
});

test("the app's token opens Cairn's API: introspected at the EHR, and the record read with it", async ({ page }) => {
  const patient = SEPSIS_PATIENT();
  await ehrLaunch(page, patient.id);

  const evidence = await apiFromPage<Evidence>(page, `/api/patients/${patient.id}/evidence`);
  expect(evidence.status).toBe(200);
  expect(evidence.body.patient.id).toBe(patient.id);
  expect(evidence.body.triage).not.toBeNull();
  expect(evidence.body.diagnosis.some((d) => d.status === 'met')).toBe(true);
  expect(evidence.body.series.vitals.some((s) => s.points.length > 1)).toBe(true);
  expect(evidence.body.passages.length).toBeGreaterThan(0);

  // A patient-level token reads its own patient only; a token the EHR never issued is refused.
  expect((await apiFromPage(page, `/api/patients/${HIV_PATIENT().id}/evidence`)).status).toBe(403);
  expect((await apiFromPage(page, `/api/patients/${patient.id}/evidence`, { token: 'not-issued-by-the-ehr' })).status).toBe(401);
});

test('the app runs under its Content-Security-Policy, sends no Referer, and breaks none of its rules while the viewer loads', async ({ page }) => {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const app = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/app/index.html'));
  await ehrLaunch(page, SEPSIS_PATIENT().id);
  const headers = (await app).headers();
  expect(headers['content-security-policy']).toContain("script-src 'self'");
  expect(headers['referrer-policy']).toBe('no-referrer');
  await expect(page.locator('[data-testid=trend-plot] canvas').first()).toBeVisible();
  await expect(page.getByTestId('passage').first()).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
});

test.describe('the evidence viewer', () => {
  untilBuilt('evidence');

  test('shows the findings, a trend plot and a quoted guideline passage', async ({ page }) => {
    const patient = SEPSIS_PATIENT();
    await ehrLaunch(page, patient.id);

    await expect(page.getByTestId('finding').first()).toBeVisible();
    await expect(page.locator('[data-testid=trend-plot] canvas').first()).toBeVisible();
    const passages = page.getByTestId('passage');
    await expect(passages.first()).toBeVisible();

    // Quoted, not paraphrased: a passage on the screen holds the text of one the API returned.
    const { body } = await apiFromPage<Evidence>(page, `/api/patients/${patient.id}/evidence`);
    const shown = squash((await passages.allInnerTexts()).join(' '));
    expect(body.passages.some((p) => shown.includes(squash(p.text).slice(0, 80)))).toBe(true);
  });

  test("a child's triage: the adult scores shown as not used, with the reason, and the ESI level", async ({ page }) => {
    // A 5-year-old with fever whose heart and breathing rates the adult charts would score high.
    await ehrLaunch(page, demoPatient('child-febrile-ed.json').id);
    const triage = page.locator('[data-testid=finding][data-finding="triage"]');
    await expect(triage).toBeVisible();
    const figures = triage.locator('dl.figures');
    await expect(figures).toContainText('Level 2');
    await expect(figures.locator('div', { hasText: 'NEWS2' }).locator('dd')).toHaveText(/^—\s*not used at this age or in pregnancy$/);
    await expect(figures.locator('div', { hasText: 'NEWS2' }).locator('dd')).toHaveAttribute('title', /age 5 years: NEWS2 is not validated under 16 years/);
    await expect(figures.locator('div', { hasText: 'qSOFA' }).locator('dd')).toHaveText(/^—\s*adults only$/);
    // Nowhere on the screen an adult total or the adult chart's points: not in the patient strip, not in the steps.
    const strip = page.locator('dl.strip-figures');
    await expect(strip.locator('div', { hasText: 'NEWS2' }).locator('dd')).toHaveText(/^—\s*not used$/);
    await expect(strip.locator('div', { hasText: 'qSOFA' }).locator('dd')).toHaveText(/^—\s*not used$/);
    await expect(triage.getByRole('heading', { name: 'NEWS2 not used' })).toBeVisible();
    await expect(triage.getByRole('heading', { name: 'qSOFA not used' })).toBeVisible();
    await expect(triage.getByRole('heading', { name: /^NEWS2 items/ })).toHaveCount(0);
    await expect(triage.getByRole('heading', { name: 'qSOFA criteria' })).toHaveCount(0);
    await page.screenshot({ path: 'test-results/screenshots/evidence-child.png', fullPage: true, animations: 'disabled', caret: 'hide' });
  });

  test('writes a converted result beside the figure as recorded', async ({ page }) => {
    // The mixed-units patient's HbA1c is charted in mmol/mol; Cairn reads it in %.
    await ehrLaunch(page, demoPatient('mixed-units.json').id);
    const diabetes = page.locator('[data-testid=finding][data-finding="diagnosis/diabetes"]');
    await expect(diabetes).toBeVisible();
    await expect(diabetes).toContainText('7.09% (recorded 54 mmol/mol)');
  });
});

test.describe('feedback', () => {
  untilBuilt('evidence', 'analytics');

  test('accept one finding and override another with a reason: both are stored and counted in the analytics', async ({ page }) => {
    // The patient with several diagnosis cards, each with a suggestion.
    const patient = demoPatient('mixed-units.json');
    // The EHR showed the cards first: they are in Cairn's ledger, which feedback refers to.
    const answers = await patientViewCards(patient.id);
    expect(answers.flatMap((a) => a.cards).filter((c) => c.suggestions?.length).length).toBeGreaterThan(1);

    await workspaceLaunch(page);
    const before = (await apiFromPage<Analytics>(page, '/api/analytics/feedback')).body.totals;

    await ehrLaunch(page, patient.id);
    // Two findings whose issued card can be accepted, named by their finding (the buttons go once used).
    const acceptable = page.getByTestId('finding').filter({ has: page.getByTestId('feedback-accept') });
    await expect(acceptable.nth(1)).toBeVisible();
    const [acceptedId, overriddenId] = await Promise.all([acceptable.nth(0).getAttribute('data-finding'), acceptable.nth(1).getAttribute('data-finding')]);
    const finding = (id: string | null) => page.locator(`[data-testid=finding][data-finding="${id ?? ''}"]`);

    await finding(acceptedId).getByTestId('feedback-accept').click();
    await expect(finding(acceptedId).getByTestId('feedback-result')).toHaveAttribute('data-outcome', 'accepted');

    await finding(overriddenId).getByTestId('feedback-override').click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    const reason = dialog.locator('[data-testid^=override-reason-]').first();
    await reason.check();
    const reasonLabel = squash(await reason.locator('xpath=..').innerText());
    await dialog.getByTestId('feedback-override-submit').click();
    await expect(finding(overriddenId).getByTestId('feedback-result')).toHaveAttribute('data-outcome', 'overridden');

    // Stored, not only shown: a reload reads it back from Cairn.
    await page.reload();
    await expect(finding(acceptedId).getByTestId('feedback-result')).toHaveAttribute('data-outcome', 'accepted');
    await expect(finding(overriddenId).getByTestId('feedback-result')).toHaveAttribute('data-outcome', 'overridden');

    // And counted: the analytics screen (a user-level launch) and its API.
    await workspaceLaunch(page);
    await page.goto(`${page.url().split('#')[0]}#/analytics`);
    await expect(page.getByTestId('analytics-chart').first()).toBeVisible();
    await expect(page.getByTestId('analytics-reasons')).toContainText(reasonLabel.replace(/\s*\(.*$/, ''));
    const after = (await apiFromPage<Analytics>(page, '/api/analytics/feedback')).body.totals;
    expect(after.accepted).toBeGreaterThan(before.accepted);
    expect(after.overridden).toBeGreaterThan(before.overridden);
  });
});
