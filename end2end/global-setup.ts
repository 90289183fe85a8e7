import { request } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_URL } from './playwright.config';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './tests/helpers';

// The bootstrap admin starts with a one-time password; give them their own once, through the
// API, so that every spec can sign in as the admin in any order.
export default async function globalSetup() {
  const temporary = readFileSync(join(__dirname, '.state', 'admin.txt'), 'utf8').trim();
  const api = await request.newContext({ baseURL: BASE_URL });
  const login = await api.post('/api/auth/login', { form: { email: ADMIN_EMAIL, password: temporary } });
  if (!login.ok()) throw new Error(`admin sign-in failed: ${login.status()} ${await login.text()}`);
  const change = await api.post('/api/auth/change_password', { form: { current_password: temporary, new_password: ADMIN_PASSWORD } });
  if (!change.ok()) throw new Error(`admin password change failed: ${change.status()} ${await change.text()}`);
  await api.dispose();
}
