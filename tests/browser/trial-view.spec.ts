/**
 * The trial view: one trial's criteria for the patient in context (met / not met / unknown), each
 * piece of evidence linked to its place in the record, the note sentence highlighted.
 */
import { expect, test } from '@playwright/test';
import { apiFromPage, HIV_TRIAL } from './support/launch.js';
import { openScreen, untilBuilt } from './support/screens.js';

test.describe('trial view', () => {
  untilBuilt('trial');

  test("shows the trial's criteria for the patient, judged, with the evidence in the record", async ({ page }) => {
    await openScreen(page, 'trial');
    const trial = await apiFromPage<{ criteria: Array<{ text: string }> }>(page, `/api/trials/${HIV_TRIAL}`);
    const table = page.getByTestId('criterion-table');
    // Every criterion, verbatim, with its judgement.
    for (const criterion of trial.body.criteria.slice(0, 3)) await expect(table).toContainText(criterion.text.slice(0, 60));
    const rows = table.getByTestId('criterion-row');
    await expect(rows).toHaveCount(trial.body.criteria.length);
    // Deciding criteria first: the table opens on a met one (this patient is eligible).
    await expect(rows.first()).toHaveAttribute('data-status', 'met');
    // Nothing rules the patient out, and some criteria are unknown: "may be eligible", not "eligible".
    const summary = page.getByRole('region', { name: 'Summary' });
    await expect(summary.locator('.acuity-label')).toHaveText('may be eligible');
    await expect(summary).not.toContainText(/^eligible:/m);

    // A met criterion shows where in the record it rests: the FHIR resource, its date and value.
    const met = table.locator('[data-testid=criterion-row][data-status=met]');
    expect(await met.count()).toBeGreaterThan(0);
    await expect(met.first().getByTestId('record-evidence').first()).toContainText(/(Patient|Condition|Observation)\/[0-9a-f-]{4,}/);

    // The status filter keeps only what is asked for.
    await page.getByTestId('criterion-filter').getByLabel(/^Met/).check();
    await expect(rows).toHaveCount(await met.count());
    for (const status of await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))) expect(status).toBe('met');
  });
});
