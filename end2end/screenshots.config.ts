import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// `make screenshots`: the README's pictures, taken from a freshly seeded instance (the same
// server and set-up as the Chromium tests) and written to docs/screenshots/.
export default defineConfig({
  ...base,
  testDir: './screenshots',
  use: { ...base.use, viewport: { width: 1280, height: 800 }, colorScheme: 'light' },
});
