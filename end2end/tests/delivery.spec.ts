import { test, expect, request } from '@playwright/test';
import { spawn, execFileSync, ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hydrated } from './helpers';

// The shared instance runs without email. This spec starts its own Roster, with email sent to
// a real SMTP server process on 127.0.0.1, and stops both at the end.
const root = join(__dirname, '..', '..');
const bin = process.env.ROSTER_BIN ?? join(root, 'target', 'debug', 'roster');
let smtp: ChildProcess | undefined;
let roster: ChildProcess | undefined;
let dir = '';
let base = '';
const EMAIL = 'admin@delivery.example';
const PASSWORD = 'delivery admin secret 1';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

test.beforeAll(async () => {
  smtp = spawn('node', [join(root, 'end2end', 'tools', 'smtp-sink.mjs'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const smtpPort: number = await new Promise((resolve, reject) => {
    smtp!.stdout!.once('data', (chunk) => resolve(JSON.parse(String(chunk).split('\n')[0]).listening));
    smtp!.once('exit', () => reject(new Error('the SMTP server did not start')));
  });
  dir = mkdtempSync(join(tmpdir(), 'roster-delivery-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${join(dir, 'roster.db')}`,
    BIND_ADDR: `127.0.0.1:${port}`,
    PUBLIC_URL: base,
    SITE_ROOT: join(root, 'target', 'site'),
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    RUST_LOG: 'warn',
  };
  const out = execFileSync(bin, ['bootstrap-admin', '--email', EMAIL, '--name', 'Del Admin', '--generate-password'], { env, encoding: 'utf8' });
  const temporary = /^password: (.*)$/m.exec(out)![1].trim();
  roster = spawn(bin, ['serve'], { env, stdio: 'ignore' });
  await expect.poll(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status, { timeout: 30_000 }).toBe(200);
  const api = await request.newContext({ baseURL: base });
  expect((await api.post('/api/auth/login', { form: { email: EMAIL, password: temporary } })).ok()).toBe(true);
  expect((await api.post('/api/auth/change_password', { form: { current_password: temporary, new_password: PASSWORD } })).ok()).toBe(true);
  await api.dispose();
});

test.afterAll(async () => {
  for (const p of [roster, smtp]) {
    if (p && p.exitCode === null) {
      const exited = new Promise((resolve) => p.once('exit', resolve));
      p.kill('SIGTERM');
      await exited;
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a pending row says whether its invitation email was sent, or why it failed and when it is tried again', async ({ page }) => {
  await page.goto(`${base}/login`);
  await hydrated(page);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/members$/);
  await hydrated(page);
  const me = await (await page.request.post(`${base}/api/auth/me`)).json();
  const ws = me.workspaces[0].id as string;
  const invite = async (email: string) => expect((await page.request.post(`${base}/api/invites/create`, {
    form: { workspace_id: ws, emails: email, role: 'workspace_viewer' },
  })).status()).toBe(200);
  const delivery = (email: string) => page.locator(`tr[data-email="${email}"]`).getByTestId('delivery');

  await invite('sent@delivery.example');
  await expect.poll(async () => {
    await page.reload();
    await hydrated(page);
    return delivery('sent@delivery.example').textContent();
  }, { timeout: 20_000 }).toMatch(/^Email sent /);

  // The SMTP server goes away: the next invitation's email fails, and the row says so.
  const exited = new Promise((resolve) => smtp!.once('exit', resolve));
  smtp!.kill('SIGTERM');
  await exited;
  await invite('bounce@delivery.example');
  await expect.poll(async () => {
    await page.reload();
    await hydrated(page);
    return delivery('bounce@delivery.example').textContent();
  }, { timeout: 20_000 }).toMatch(/^Email not delivered \(1 attempt\): .+\. Next try /);
  await expect(delivery('bounce@delivery.example')).toHaveClass(/error/);
  await expect(delivery('sent@delivery.example')).toHaveText(/^Email sent /);
});
