/**
 * The browser suite (`npm run test:browser`): Playwright's test runner driving Debian's Chromium
 * (Playwright's own browser download is not used: `executablePath`, overridable with
 * CAIRN_CHROMIUM). The global setup builds the app and starts the EHR and Cairn once for all
 * tests (tests/browser/support/stack.ts). One worker: the machine the suite budgets for has two
 * cores, and Cairn, the EHR and Chromium already share them.
 */
import { defineConfig } from '@playwright/test';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  testDir: here,
  testMatch: '*.spec.ts',
  outputDir: fileURLToPath(new URL('../../test-results/browser', import.meta.url)),
  globalSetup: fileURLToPath(new URL('./global-setup.ts', import.meta.url)),
  workers: 1,
  retries: 0,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  // Start-up is in the global setup, so a test's own time is browser work and the API's answers.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    headless: true,
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
    locale: 'en-GB',
    timezoneId: 'UTC',
    actionTimeout: 10_000,
    navigationTimeout: 20_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CAIRN_CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});
