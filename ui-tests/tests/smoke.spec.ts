/**
 * Smoke test: JupyterLab loads with the nbx extension, whose "About nbx" command is in the
 * command palette and opens its dialog.
 */
import { expect, test } from '@jupyterlab/galata';

test('"About nbx" runs from the command palette and shows its dialog', async ({ page }) => {
  expect(await page.evaluate(() => window.jupyterapp.hasPlugin('jupyterlab-nbx:plugin'))).toBe(
    true
  );

  await page.keyboard.press('Control+Shift+C');
  const palette = page.locator('#modal-command-palette');
  await expect(palette).toBeVisible();
  await palette.locator('.lm-CommandPalette-input').fill('About nbx');
  const item = palette.locator('.lm-CommandPalette-item', { hasText: 'About nbx' });
  await expect(item).toHaveCount(1);
  await item.click();

  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('.jp-Dialog-header')).toHaveText('About nbx');
  await expect(dialog.locator('.nbx-AboutDialog')).toContainText(
    'Notebooks as tracked experiments.'
  );
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);
});
