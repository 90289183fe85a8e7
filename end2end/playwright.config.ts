import { defineConfig } from '@playwright/test';

// Roster is started by `serve.sh` on a fresh SQLite database and stopped by Playwright at the end.
export const PORT = Number(process.env.E2E_PORT ?? 3947);
export const BASE_URL = `http://127.0.0.1:${PORT}`;
// The local OpenID provider standing in for Google.
export const OP_PORT = Number(process.env.E2E_OP_PORT ?? 3948);
export const OP_URL = `http://127.0.0.1:${OP_PORT}`;

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: BASE_URL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: [
    {
      command: 'node end2end/tools/oidc-provider.mjs',
      cwd: '..',
      url: `${OP_URL}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: {
        OP_PORT: String(OP_PORT),
        OP_CLIENT_ID: 'roster-e2e',
        OP_CLIENT_SECRET: 'roster-e2e-secret',
        OP_REDIRECT_URIS: `${BASE_URL}/auth/oidc/callback`,
        OP_ACCOUNTS_FILE: 'end2end/.accounts.json',
        OP_EXTRA_CLAIMS: 'roles',
      },
    },
    {
      command: `bash end2end/serve.sh ${PORT} ${OP_PORT}`,
      cwd: '..',
      url: `${BASE_URL}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
  ],
});
