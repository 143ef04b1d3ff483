/**
 * Keyboard-only use: from the top of each screen, Tab reaches its main controls in a sensible
 * order, Enter or Space works them, and the focused control always shows that it has the focus.
 * No test here clicks.
 */
import { expect, test } from '@playwright/test';
import { ehrLaunch, HIV_PATIENT, HIV_TRIAL, SEPSIS_PATIENT } from './support/launch.js';
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
    await openScreen(page, 'evidence');
    const findings = page.getByTestId('finding');

    await tabTo(page, findings.nth(0).getByTestId('feedback-accept'));
    await expectFocusVisible(page);
    await page.keyboard.press('Enter');
    await expect(findings.nth(0)).toContainText(/accepted/i);

    await tabTo(page, findings.nth(1).getByTestId('feedback-override'));
    await expectFocusVisible(page);
    await page.keyboard.press('Space');
    // The reason control comes next in the Tab order; arrows choose, Enter sends.
    await page.keyboard.press('Tab');
    await expectFocusVisible(page);
    await page.keyboard.press('ArrowDown');
    await tabTo(page, findings.nth(1).getByRole('button', { name: /send|confirm|save/i }), 5);
    await page.keyboard.press('Enter');
    await expect(findings.nth(1)).toContainText(/overridden/i);
  });
});

test.describe('trial view', () => {
  untilBuilt('trial');

  test('Tab to a piece of evidence, Enter shows it in the record', async ({ page }) => {
    await openScreen(page, 'trial');
    await tabTo(page, page.getByRole('table').getByRole('link').first());
    await expectFocusVisible(page);
    await page.keyboard.press('Enter');
    await expect(page.locator('mark').first()).toBeVisible();
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
