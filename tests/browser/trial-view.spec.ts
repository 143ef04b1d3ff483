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
    const table = page.getByRole('table').first();
    // Every criterion, verbatim, with its judgement.
    for (const criterion of trial.body.criteria.slice(0, 3)) await expect(table).toContainText(criterion.text.slice(0, 60));
    await expect(table).toContainText(/\bmet\b/i);

    // The evidence of a met criterion opens the record at it: the note sentence is highlighted.
    await table.getByRole('link').first().click();
    await expect(page.locator('mark').first()).toBeVisible();
  });
});
