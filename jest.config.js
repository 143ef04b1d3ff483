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
  // PostgreSQL with pgvector, or PGlite alone with a note (tests/support/jest-global-setup.mjs).
  globalSetup: '<rootDir>/tests/support/jest-global-setup.mjs',
  reporters: ['default', '<rootDir>/tests/support/summary-reporter.cjs'],
};
