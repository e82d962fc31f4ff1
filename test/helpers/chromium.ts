import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, headless, talking to nothing but the loopback pages a test opens. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--autoplay-policy=no-user-gesture-required',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
}

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
