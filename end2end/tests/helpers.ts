import { expect, Page } from '@playwright/test';

export const ADMIN_EMAIL = 'admin@example.com';
/** The admin's own password, set by global-setup.ts in place of the bootstrap one. */
export const ADMIN_PASSWORD = 'admin chosen secret 1';

/** Waits until the server-rendered page has hydrated and reacts to clicks. The mark belongs to
 * the document: after a full-page navigation wait for the new page first (`arrivedAt`); after
 * a client-side one it is already there and proves nothing (the router shows the new page once
 * its part of the bundle has loaded, so a locator waiting for that page's content is the wait). */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

/** Makes every part of the bundle but the main module arrive 1.5 s late, as on a slow machine:
 * a later part's page (sign-in, invitation) then shows its server-rendered HTML well before it
 * hydrates, and a test that clicks too early fails here rather than only on a slower CI. */
export async function lateBundleParts(page: Page) {
  await page.route(/\/pkg\/.*\.wasm$/, async (route) => {
    if (!route.request().url().endsWith('/pkg/roster.wasm')) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    await route.continue();
  });
}

/** Waits until the page shown is `path` (matched against the address's path alone: a query
 * can name the same path, as `/login?return_to=/invite/…` does before the sign-in has left the
 * page), then until that page has hydrated. */
export async function arrivedAt(page: Page, path: RegExp) {
  await expect(page).toHaveURL((url) => path.test(url.pathname));
  await hydrated(page);
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function changePassword(page: Page, current: string, next: string) {
  await expect(page).toHaveURL(/\/change-password$/);
  await hydrated(page);
  await page.getByLabel('Current password').fill(current);
  await page.getByLabel('New password').fill(next);
  await page.getByRole('button', { name: 'Change password' }).click();
}
