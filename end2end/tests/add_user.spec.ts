import { test, expect } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, changePassword, hydrated, signIn } from './helpers';

test('admin adds a user with a generated password; the user must pick their own', async ({ browser }) => {
  const admin = await browser.newPage();
  await signIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(admin).toHaveURL(/\/members$/);
  await hydrated(admin);

  // Add User with a generated password, shown once.
  await admin.getByTestId('add-user').click();
  const dialog = admin.getByRole('dialog', { name: 'Add User' });
  await dialog.getByLabel('Email').fill('grace@example.com');
  await dialog.getByLabel('Name').fill('Grace Hopper');
  await dialog.locator('select[name="role"]').selectOption('workspace_editor');
  await dialog.getByTestId('generate-password').click();
  await dialog.getByRole('button', { name: 'Add User' }).click();
  await expect(dialog.getByTestId('user-created')).toContainText('grace@example.com was added as Editor');
  const generated = await dialog.getByTestId('generated-password').inputValue();
  expect(generated).toHaveLength(20);
  await dialog.getByTestId('add-user-done').click();
  await expect(admin.locator('tr[data-email="grace@example.com"]')).toContainText('added by admin');
  await admin.getByTestId('sign-out').click();
  await expect(admin).toHaveURL(/\/login$/);
  await admin.close();

  // The new user signs in and lands on /change-password.
  const user = await browser.newPage();
  await signIn(user, 'grace@example.com', generated);
  await expect(user).toHaveURL(/\/change-password$/);
  await hydrated(user);
  await expect(user.getByTestId('forced-notice')).toBeVisible();

  // Cannot navigate away: neither by typing a URL (server 303) ...
  await user.goto('/members');
  await expect(user).toHaveURL(/\/change-password$/);
  await user.goto('/audit');
  await expect(user).toHaveURL(/\/change-password$/);
  // ... nor by client-side navigation.
  await hydrated(user);
  await user.getByRole('link', { name: 'Roster' }).click();
  await expect(user).toHaveURL(/\/change-password$/);

  await changePassword(user, generated, 'grace own secret 1906');
  await expect(user).toHaveURL(/\/members$/);
  await expect(user.locator('tr[data-email="grace@example.com"]')).toBeVisible();
  await expect(user.getByTestId('add-user')).toHaveCount(0);
});
