/**
 * Screenshots of each screen for the README (docs/screenshots/, see save()), taken at a fixed viewport
 * (1280×900, see playwright.config.ts) once the screen has loaded its content, and one of the
 * short cards as an EHR shows them, whose "Open evidence in Cairn" link launches the app.
 */
import { expect, test, type Page } from '@playwright/test';
import { repoPath } from '../support/repo-root.js';
import { cardViewHtml } from './support/card-view.js';
import { patientViewCards, sendFeedback } from './support/hooks.js';
import { apiFromPage, ehrLaunchUrl, expectSignedIn, HIV_PATIENT, HIV_TRIAL, SEPSIS_PATIENT, demoPatient } from './support/launch.js';
import { stackInfo } from './support/stack-info.js';
import { openScreen, untilBuilt, type Screen } from './support/screens.js';

/**
 * The README's copies (docs/screenshots/) are rewritten only on request (CAIRN_UPDATE_SCREENSHOTS=1):
 * the demo's dates move every day, so a plain `npm test` would otherwise leave the checkout dirty.
 * Otherwise they go to test-results/screenshots/, to look at after a run.
 */
async function save(page: Page, name: string): Promise<void> {
  const dir = process.env.CAIRN_UPDATE_SCREENSHOTS === '1' ? repoPath('docs', 'screenshots') : repoPath('test-results', 'screenshots');
  await page.screenshot({ path: `${dir}/${name}.png`, animations: 'disabled', caret: 'hide' });
}

test("card.png: a demo patient's short cards, and their smart link opens the evidence viewer", async ({ page }) => {
  const patient = SEPSIS_PATIENT();
  const cards = (await patientViewCards(patient.id)).flatMap((a) => a.cards);
  expect(cards.length).toBeGreaterThan(0);
  for (const card of cards) {
    // Short: the summary and a detail of at most 1,000 characters; the rest is in the app.
    expect(card.summary.length).toBeLessThanOrEqual(140);
    expect(card.detail?.length ?? 0).toBeLessThanOrEqual(1000);
    expect(card.links?.filter((l) => l.type === 'smart').map((l) => l.url)).toEqual([stackInfo().appLaunch]);
  }

  await page.setContent(cardViewHtml(cards, { title: `CDS Hooks cards on opening the chart of ${patient.name}`, launch: () => ehrLaunchUrl(patient.id) }));
  await expect(page.getByTestId('card')).toHaveCount(cards.length);
  await save(page, 'card');

  await page.getByRole('link', { name: 'Open evidence in Cairn' }).first().click();
  await expectSignedIn(page);
  await expect(page.getByRole('link', { name: 'Evidence' })).toHaveAttribute('aria-current', 'page');
});

test.describe('screens', () => {
  test.beforeAll(async () => {
    // Something to show: cards issued, some accepted or overridden (for analytics).
    for (const file of ['ed-deteriorating-vitals.json', 'mixed-units.json', 'hiv-trial-candidate.json']) {
      const answers = await patientViewCards(demoPatient(file).id);
      for (const [i, { service, cards }] of answers.entries()) {
        const card = cards[0];
        if (card?.suggestions?.length && i % 2 === 0) await sendFeedback(service, card, 'accepted');
        else if (card?.overrideReasons?.length) await sendFeedback(service, card, 'overridden');
      }
    }
  });

  const shots: Record<Screen, string> = { evidence: 'evidence', trial: 'trial', workspace: 'workspace', analytics: 'analytics' };
  for (const [screen, name] of Object.entries(shots) as Array<[Screen, string]>) {
    test.describe(screen, () => {
      untilBuilt(screen);
      test(`${name}.png`, async ({ page }) => {
        await openScreen(page, screen);
        if (screen === 'workspace') {
          // A finished screening to show beside the trial list.
          await apiFromPage(page, `/api/trials/${HIV_TRIAL}/screenings`, { method: 'POST', body: { patients: [HIV_PATIENT(), SEPSIS_PATIENT()].map((p) => `Patient/${p.id}`) } });
          await page.reload();
          await expect(page.getByTestId('trial-search')).toBeVisible();
        }
        await save(page, name);
      });
    });
  }
});
