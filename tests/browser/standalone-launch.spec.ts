/**
 * A standalone launch: the app is opened with only the FHIR server's address (`?iss=`), so the
 * EHR's authorization server asks which patient (the dev launcher's picker), then hands the app a
 * patient-level token for the one chosen.
 */
import { expect, test } from '@playwright/test';
import { launchState, SEPSIS_PATIENT, standaloneLaunch } from './support/launch.js';
import { untilBuilt } from './support/screens.js';

test('standalone launch: the patient picker, then the evidence screen for the chosen patient', async ({ page }) => {
  const patient = SEPSIS_PATIENT();
  await standaloneLaunch(page, patient.id);

  await expect(page.getByRole('link', { name: 'Evidence' })).toHaveAttribute('aria-current', 'page');
  const state = await launchState(page);
  expect(state.tokenResponse.patient).toBe(patient.id);
  // A standalone launch asks for the patient context (launch/patient), not an EHR launch's `launch`.
  expect(state.tokenResponse.scope.split(' ')).toEqual(expect.arrayContaining(['launch/patient', 'patient/Observation.rs']));
  expect(state.tokenResponse.scope.split(' ')).not.toContain('launch');
});

test.describe('with the evidence viewer', () => {
  untilBuilt('evidence');

  test("standalone launch: the chosen patient's findings are shown", async ({ page }) => {
    await standaloneLaunch(page, SEPSIS_PATIENT().id);
    await expect(page.getByTestId('finding').first()).toBeVisible();
    await expect(page.locator('[data-testid=trend-plot] canvas').first()).toBeVisible();
  });
});
