/**
 * An accessibility scan of each screen with axe-core (@axe-core/playwright), once the screen has
 * loaded its content: no serious or critical violation of WCAG 2.1 A or AA.
 */
import { test } from '@playwright/test';
import { expectNoSeriousViolations } from './support/axe.js';
import { stackInfo } from './support/stack-info.js';
import { openScreen, untilBuilt, type Screen } from './support/screens.js';
import { workspaceLaunch } from './support/launch.js';

test('the launch page and the frame of the app', async ({ page }) => {
  // launch.html opened with no EHR says how to open it.
  await page.goto(stackInfo().appLaunch);
  await expectNoSeriousViolations(page);
  await workspaceLaunch(page);
  await expectNoSeriousViolations(page, 'header');
});

for (const screen of ['evidence', 'trial', 'workspace', 'analytics'] as const satisfies readonly Screen[]) {
  test.describe(screen, () => {
    untilBuilt(screen);
    test(`the ${screen} screen`, async ({ page }) => {
      await openScreen(page, screen);
      await expectNoSeriousViolations(page);
    });
  });
}
