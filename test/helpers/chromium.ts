import type { Page } from 'playwright-core';

export { launchChromium } from '../../src/bench/chromium.js';

/** Sign an officer in on the console page and wait for the console itself. */
export async function signIn(page: Page, name: string, secret: string): Promise<void> {
  await page.locator('#signin-name').fill(name);
  await page.locator('#signin-secret').fill(secret);
  await page.locator('#signin-form button').click();
  await page.locator('#app').waitFor({ state: 'visible' });
}

/** Wait until the element's text matches. */
export async function expectText(p: Page, selector: string, re: RegExp, timeout = 30_000): Promise<void> {
  await p.waitForFunction(
    ([sel, src]) => new RegExp(src as string).test(document.querySelector(sel as string)?.textContent ?? ''),
    [selector, re.source] as const,
    { timeout },
  );
}
