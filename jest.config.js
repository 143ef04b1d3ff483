import os from 'node:os';

/** Jest runs the TypeScript sources as native ESM (fhir-kit-client is ESM-only). Type-checking is done by `tsc` in `npm test`. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  testTimeout: 30000,
  // At least two workers: on the 2-core CI machine Jest's default is one, and two took the suite
  // from about 800 s to 409 s. Tests that wait for background writes (the audit trail, the
  // in-flight gauge) poll with bounds meant for a machine busy with the other worker.
  maxWorkers: Math.max(2, os.availableParallelism() - 1),
  // PostgreSQL with pgvector, or PGlite alone with a note (tests/support/jest-global-setup.mjs).
  globalSetup: '<rootDir>/tests/support/jest-global-setup.mjs',
  reporters: ['default', '<rootDir>/tests/support/summary-reporter.cjs'],
};
