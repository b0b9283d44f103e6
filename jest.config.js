/** @type {import('jest').Config} */
const common = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  setupFiles: ['<rootDir>/test/helpers/fast-check-seed.ts'],
};

// `npm test` runs both projects; `npm run test:unit` (jest --selectProjects unit) skips the Docker ones.
module.exports = {
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/test'], testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/', '<rootDir>/test/consumer/', '<rootDir>/test/hardening/(relay-matrix|relay-oracle|load)\\.test\\.ts$'] },
    // The packed library in a fresh cdktf app (npm registry installs, cdktf synth, the app's own jest).
    { ...common, displayName: 'consumer', roots: ['<rootDir>/test/consumer'], testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/consumer/app/'] },
    // Live Postfix containers and real TLS clients; each file sets its own (longer) hook timeouts.
    {
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration', '<rootDir>/test/hardening'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/hardening/no-private-keys\\.test\\.ts$'],
    },
  ],
};
