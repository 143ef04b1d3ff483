/**
 * Each screen of the app opened as its user would open it, and waited for until its content is
 * there (not only its frame), for the tests that look at every screen: keyboard use, the
 * accessibility scan and the screenshots.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { patientViewCards } from './hooks.js';
import { ehrLaunch, HIV_PATIENT, HIV_TRIAL, SEPSIS_PATIENT, workspaceLaunch } from './launch.js';

export type Screen = 'evidence' | 'trial' | 'workspace' | 'analytics';

/**
 * Why a screen's tests are marked fixme: it is not built yet. Once a screen is merged, empty its
 * reason here and every test of it (flows, keyboard, accessibility, screenshot) runs.
 */
export const NOT_BUILT: Record<Screen, string> = {
  evidence: '',
  trial: '',
  workspace: '',
  analytics: '',
};

/** Marks the tests of the enclosing describe (or file) fixme while one of `screens` is not built. */
export function untilBuilt(...screens: Screen[]): void {
  const reasons = screens.map((s) => NOT_BUILT[s]).filter((r) => r.length > 0);
  test.fixme(reasons.length > 0, reasons.join('; '));
}

async function goToHash(page: Page, hash: string): Promise<void> {
  await page.goto(`${page.url().split('#')[0]}#${hash}`);
}

/** Opens `screen` and returns the element that shows it has loaded its content. */
export async function openScreen(page: Page, screen: Screen): Promise<Locator> {
  let ready: Locator;
  switch (screen) {
    case 'evidence':
      // The EHR showed the cards first, so the findings carry their card and its feedback buttons.
      await patientViewCards(SEPSIS_PATIENT().id);
      await ehrLaunch(page, SEPSIS_PATIENT().id);
      ready = page.locator('[data-testid=trend-plot] canvas').first();
      await expect(page.getByTestId('finding').first()).toBeVisible();
      break;
    case 'trial':
      // A card's trial link opens the trial view for the patient in context.
      await ehrLaunch(page, HIV_PATIENT().id);
      await goToHash(page, `/trials/${HIV_TRIAL}`);
      ready = page.getByRole('table').first();
      break;
    case 'workspace':
      await workspaceLaunch(page);
      ready = page.getByTestId('trial-search');
      break;
    case 'analytics':
      // Cards issued today, so that the screen has something to chart whichever test runs first.
      await patientViewCards(SEPSIS_PATIENT().id);
      await workspaceLaunch(page);
      await goToHash(page, '/analytics');
      ready = page.getByTestId('analytics-chart').first();
      break;
  }
  await expect(ready).toBeVisible();
  return ready;
}

/** Presses Tab until `target` has the focus; fails after `max` presses (it cannot be reached by keyboard). */
export async function tabTo(page: Page, target: Locator, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement || el.contains(document.activeElement))) return;
  }
  throw new Error(`Tab did not reach ${target.toString()} in ${max} presses`);
}

/** The focused element shows that it has the focus: it matches :focus-visible and draws an outline or a shadow. */
export async function expectFocusVisible(page: Page): Promise<void> {
  const focused = page.locator(':focus');
  await expect(focused).toHaveCount(1);
  const ring = await focused.evaluate((el) => {
    const style = getComputedStyle(el);
    return { visible: el.matches(':focus-visible'), outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0, shadow: style.boxShadow !== 'none' };
  });
  expect(ring.visible, 'the focused element matches :focus-visible').toBe(true);
  expect(ring.outline || ring.shadow, 'the focused element draws a focus indicator').toBe(true);
}
