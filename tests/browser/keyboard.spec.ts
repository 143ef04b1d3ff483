/**
 * Keyboard-only use: from the top of each screen, Tab reaches its main controls in a sensible
 * order, Enter or Space works them, and the focused control always shows that it has the focus.
 * No test here clicks.
 */
import { expect, test } from '@playwright/test';
import { patientViewCards } from './support/hooks.js';
import { demoPatient, ehrLaunch, HIV_PATIENT, HIV_TRIAL, SEPSIS_PATIENT } from './support/launch.js';
import { expectFocusVisible, openScreen, tabTo, untilBuilt } from './support/screens.js';

test("the app's frame: Tab reaches each screen's link, Enter opens the screen, the focus shows", async ({ page }) => {
  await ehrLaunch(page, SEPSIS_PATIENT().id);
  const nav = page.getByRole('navigation', { name: 'Screens' });

  await page.keyboard.press('Tab');
  await expect(nav.getByRole('link', { name: 'Evidence' })).toBeFocused();
  await expectFocusVisible(page);
  await page.keyboard.press('Tab');
  await expect(nav.getByRole('link', { name: 'Trial screening' })).toBeFocused();
  await expectFocusVisible(page);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#\/workspace$/);
  await expect(nav.getByRole('link', { name: 'Trial screening' })).toHaveAttribute('aria-current', 'page');

  await page.keyboard.press('Tab');
  await expect(nav.getByRole('link', { name: 'Feedback analytics' })).toBeFocused();
  await expectFocusVisible(page);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#\/analytics$/);
  await expect(nav.getByRole('link', { name: 'Feedback analytics' })).toHaveAttribute('aria-current', 'page');
});

test.describe('evidence', () => {
  untilBuilt('evidence');

  test("Tab to a finding's feedback, Enter accepts it; the override reason is chosen by keyboard", async ({ page }) => {
    const patient = demoPatient('mixed-units.json');
    await patientViewCards(patient.id);
    await ehrLaunch(page, patient.id);
    const acceptable = page.getByTestId('finding').filter({ has: page.getByTestId('feedback-accept') });
    await expect(acceptable.nth(1)).toBeVisible();
    const [acceptedId, overriddenId] = await Promise.all([acceptable.nth(0).getAttribute('data-finding'), acceptable.nth(1).getAttribute('data-finding')]);
    const finding = (id: string | null) => page.locator(`[data-testid=finding][data-finding="${id ?? ''}"]`);

    await tabTo(page, finding(acceptedId).getByTestId('feedback-accept'));
    await expectFocusVisible(page);
    await page.keyboard.press('Enter');
    await expect(finding(acceptedId).getByTestId('feedback-result')).toHaveAttribute('data-outcome', 'accepted');

    await tabTo(page, finding(overriddenId).getByTestId('feedback-override'));
    await expectFocusVisible(page);
    await page.keyboard.press('Space');
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    // The reasons are radio buttons: Tab reaches the group, Space chooses, Tab moves on to send.
    await tabTo(page, dialog.locator('[data-testid^=override-reason-]').first(), 5);
    await expectFocusVisible(page);
    await page.keyboard.press('Space');
    await tabTo(page, dialog.getByTestId('feedback-override-submit'), 8);
    await expectFocusVisible(page);
    await page.keyboard.press('Enter');
    await expect(finding(overriddenId).getByTestId('feedback-result')).toHaveAttribute('data-outcome', 'overridden');
  });
});

test.describe('trial view', () => {
  untilBuilt('trial');

  test('Tab to the status filter, arrows choose which criteria are shown', async ({ page }) => {
    await openScreen(page, 'trial');
    const filter = page.getByTestId('criterion-filter');
    await tabTo(page, filter.getByRole('radio').first());
    await expectFocusVisible(page);
    await page.keyboard.press('ArrowRight');
    await expect(filter.getByRole('radio', { checked: true })).toHaveAccessibleName(/^Met/);
    const rows = page.getByTestId('criterion-row');
    expect(await rows.count()).toBeGreaterThan(0);
    for (const status of await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))) expect(status).toBe('met');
  });
});

test.describe('workspace', () => {
  untilBuilt('workspace');

  test('type a search, choose a trial with Enter, list the patients, start the screening with Space', async ({ page }) => {
    await openScreen(page, 'workspace');
    await tabTo(page, page.getByTestId('trial-search'));
    await expectFocusVisible(page);
    await page.keyboard.type('HIV');
    const row = page.getByTestId('trial-row').filter({ hasText: HIV_TRIAL });
    await expect(row).toBeVisible();
    await tabTo(page, row.getByRole('button', { name: 'Choose' }));
    await expectFocusVisible(page);
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByLabel('Patient ids'));
    await expectFocusVisible(page);
    await page.keyboard.type(`Patient/${HIV_PATIENT().id}`);
    await tabTo(page, page.getByTestId('start-screening'));
    await expectFocusVisible(page);
    await page.keyboard.press('Space');
    await expect(page.getByTestId('screening-progress')).toBeVisible();
  });
});

test.describe('analytics', () => {
  untilBuilt('analytics');

  test('every control of the screen is reached by Tab and shows the focus', async ({ page }) => {
    await openScreen(page, 'analytics');
    const main = page.locator('main');
    const controls = main.locator('a[href], button, input, select, textarea, [tabindex="0"]');
    const count = await controls.count();
    expect(count).toBeGreaterThan(0);
    for (let i = 0; i < count; i++) {
      await tabTo(page, controls.nth(i));
      await expectFocusVisible(page);
    }
  });
});
