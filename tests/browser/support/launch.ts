/**
 * The three ways into the Cairn app, done in the browser as a user would: an EHR launch from the
 * dev launcher, a standalone launch through the EHR's patient picker, and the coordinator's
 * user-level launch of the workspace. Each waits until fhirclient has exchanged the code and the
 * app shows its frame.
 */
import { expect, type Page } from '@playwright/test';
import type { DemoPatient } from '../../../dev/fhir-server/demo-patients.js';
import { stackInfo } from './stack-info.js';

const stack = stackInfo();

/** A demo patient by the Bundle file it came from, e.g. `ed-deteriorating-vitals.json`. */
export function demoPatient(file: string): DemoPatient {
  const found = stack.patients.find((p) => p.file.endsWith(file));
  if (!found) throw new Error(`no demo patient from ${file}: the EHR holds ${stack.patients.map((p) => p.file).join(', ')}`);
  return found;
}

/** The patient of the ED edge case (deteriorating vitals, sepsis): triage and diagnosis findings, vital-sign series. */
export const SEPSIS_PATIENT = (): DemoPatient => demoPatient('ed-deteriorating-vitals.json');
/** The patient a recruiting demo trial (NCT00006518, specimen collection in HIV) fits. */
export const HIV_PATIENT = (): DemoPatient => demoPatient('hiv-trial-candidate.json');
export const HIV_TRIAL = 'NCT00006518';

/** The dev launcher's EHR-launch URL for the app and a patient, as `npm run demo` prints it. */
export function ehrLaunchUrl(patientId: string): string {
  const params = new URLSearchParams({ app: stack.appLaunch, patient: patientId });
  return `${stack.fhirBase}/launch?${params.toString()}`;
}

/** The app's frame, shown once the launch has completed. */
export async function expectSignedIn(page: Page): Promise<void> {
  await expect(page.getByRole('navigation', { name: 'Screens' })).toBeVisible({ timeout: 20_000 });
  expect(new URL(page.url()).pathname).toBe('/app/index.html');
}

export async function ehrLaunch(page: Page, patientId: string): Promise<void> {
  await page.goto(ehrLaunchUrl(patientId));
  await expectSignedIn(page);
}

/** Standalone: the app is opened with only `iss`; the EHR's authorization server shows its patient picker. */
export async function standaloneLaunch(page: Page, patientId: string): Promise<void> {
  await page.goto(`${stack.appLaunch}?${new URLSearchParams({ iss: stack.fhirBase }).toString()}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/patient/i);
  await page.getByRole('row').filter({ hasText: patientId }).getByRole('link').click();
  await expectSignedIn(page);
}

/** The coordinator's launch: user-level scopes and no patient (`&workspace`). */
export async function workspaceLaunch(page: Page): Promise<void> {
  await page.goto(`${stack.appLaunch}?${new URLSearchParams({ iss: stack.fhirBase }).toString()}&workspace`);
  await expectSignedIn(page);
}

/** What fhirclient keeps of the launch in the tab's sessionStorage: the token response. */
export interface LaunchState {
  serverUrl: string;
  scope: string;
  tokenResponse: { access_token: string; scope: string; patient?: string; id_token?: string };
}

export async function launchState(page: Page): Promise<LaunchState> {
  return page.evaluate(() => {
    const key = JSON.parse(sessionStorage.getItem('SMART_KEY') ?? 'null') as string | null;
    const state = key ? sessionStorage.getItem(key) : null;
    if (!state) throw new Error('no SMART launch state in this tab');
    return JSON.parse(state) as LaunchState;
  });
}

/** Calls Cairn's API for apps from the page, with the tab's own access token, as the app does. */
export async function apiFromPage<T = unknown>(page: Page, path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; body: T }> {
  const token = init.token ?? (await launchState(page)).tokenResponse.access_token;
  return page.evaluate(
    async ({ url, method, body, token }) => {
      const res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    { url: `${stack.cairn}${path}`, method: init.method ?? 'GET', body: init.body, token },
  );
}
