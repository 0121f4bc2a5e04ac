// Debian's Chromium driven by playwright-core (`npx playwright install` cannot run here), with a
// fresh profile per launch. Every page records what should never happen: console errors (CSP
// violations are reported there), uncaught exceptions, and dialogs (an injected alert()).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveChromium = () => existsSync(CHROMIUM);

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors, CSP violations and dialogs, in order. */
  problems: string[];
}

export async function openPage(browser: Browser, url: string, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: options.colorScheme ?? 'light', acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  // Recorded from inside the page too, in case a violation is not logged to the console.
  // (A string: these files are compiled without the DOM's types.)
  await context.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
  });
  await page.goto(url);
  return { context, page, problems };
}

/** Calls the API as the page does (same cookie), for test set-up and checks. */
export async function callApi<T>(page: Page, origin: string, channel: string, ...args: unknown[]): Promise<T> {
  const res = await page.request.post(`${origin}/api/${channel}`, { data: { args } });
  const body = (await res.json()) as { result?: T; error?: string };
  if (!res.ok()) throw new Error(`${channel}: ${body.error ?? res.status()}`);
  return body.result as T;
}
