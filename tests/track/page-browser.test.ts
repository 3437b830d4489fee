/**
 * The resident page in a real browser: Debian's chromium driven by puppeteer-core, checked by
 * axe-core against WCAG 2.0/2.1/2.2 A and AA. `.ci/run` installs chromium when it is missing;
 * without it this file fails with a message saying so (it never skips silently). Set
 * CHROMIUM_PATH to use another Chromium build.
 * One browser for the file; every wait is bounded.
 *
 * Two servers: the real thing — `npm run demo` then `casebridge track config/demo/track.yaml`,
 * run from a temp copy of the demo (with one service made private) — and the plugin over an
 * in-memory lookup whose cases have postcodes, notes and photos, which the demo export lacks.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { AxePuppeteer } from '@axe-core/puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackPage } from '../../src/track/page/plugin.js';
import { memoryLookup, sampleCases } from './page-helpers.js';
import { runCli, spawnCli } from '../helpers/cli.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCREENSHOT = join(repo, 'docs', 'images', 'track-page.png');
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const WAIT = { timeout: 15_000 };

function findChromium(): string {
  const candidates = [process.env['CHROMIUM_PATH'], 'chromium', 'chromium-browser'].filter((c): c is string => !!c);
  for (const c of candidates) {
    try {
      return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', c], { encoding: 'utf8' }).trim() || c;
    } catch {
      // not this one
    }
  }
  throw new Error(
    `No Chromium found (tried ${candidates.join(', ')}). The resident-page browser test needs it: ` +
      'run `apt-get install -y chromium` (Debian; .ci/run does this) or set CHROMIUM_PATH.',
  );
}

let app: FastifyInstance;
let browser: Browser;
let base: string;
let demoBase: string;
let demoDir: string;
let tracker: ReturnType<typeof spawnCli> | undefined;
const failedRequests: string[] = [];

/** The demo gateway's events, then the tracker CLI serving them on a free port. */
async function startDemoTracker(): Promise<string> {
  demoDir = mkdtempSync(join(tmpdir(), 'casebridge-page-'));
  for (const f of ['casebridge.yaml', 'track.yaml', 'exports']) cpSync(join(repo, 'config', 'demo', f), join(demoDir, f), { recursive: true });
  // Dead-animal reports become a private service (the config's default for unlisted services).
  const trackYaml = join(demoDir, 'track.yaml');
  writeFileSync(trackYaml, readFileSync(trackYaml, 'utf8').replace(/^.*code: Dead Animal.*\n/m, ''));
  const run = runCli(['run', join(demoDir, 'casebridge.yaml'), '--once'], { timeoutMs: 120_000 });
  if (run.status !== 0) throw new Error(`demo run failed (${run.status}): ${run.stderr}`);
  tracker = spawnCli(['track', trackYaml, '--port', '0', '--log-level', 'warn']);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = /serving on (http:\/\/\S+)/.exec(tracker.output().stderr)?.[1];
    if (url) return `${url}/track`;
    if (tracker.exitCode !== null || Date.now() > deadline) throw new Error(`tracker did not start: ${tracker.output().stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Poll until the tracker has ingested the case (it tails the log in the background). */
async function waitForCase(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await fetch(url)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`no case at ${url} after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  const executablePath = findChromium();
  app = Fastify();
  await app.register(trackPage, { lookup: memoryLookup(sampleCases) });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  base = `${address}/track`;
  demoBase = await startDemoTracker();
  browser = await puppeteer.launch({
    executablePath,
    headless: true,
    // Root in CI containers has no user namespace for the sandbox; the page is our own, on 127.0.0.1.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--disable-extensions'],
    timeout: 30_000,
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (tracker && tracker.exitCode === null) {
    const exited = new Promise((r) => tracker!.once('exit', r));
    tracker.kill('SIGTERM');
    await exited;
  }
  if (demoDir) rmSync(demoDir, { recursive: true, force: true });
});

async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(WAIT.timeout);
  page.setDefaultNavigationTimeout(WAIT.timeout);
  await page.setViewport({ width: 1024, height: 800 });
  page.on('requestfailed', (r) => failedRequests.push(`${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().startsWith(base + '?') && !r.url().startsWith(demoBase + '?')) failedRequests.push(`${r.url()} (HTTP ${r.status()})`);
  });
  return page;
}

async function lookUp(page: Page, reference: string, postcode?: string, at = base): Promise<void> {
  await page.goto(at, { waitUntil: 'load' });
  await page.type('#reference', reference);
  if (postcode) await page.type('#postcode', postcode);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
}

async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxePuppeteer(page).withTags(WCAG_TAGS).analyze();
  const found = results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
  expect(found).toEqual([]);
  // axe ran real rules on a real page: guards against an empty or unstyled page passing vacuously.
  expect(results.passes.length).toBeGreaterThan(10);
}

const text = (page: Page, selector: string) => page.$eval(selector, (el) => (el as HTMLElement).innerText.trim());

// axe on a full page takes seconds when CI's two cores are shared with a Kafka broker.
describe('resident page in Chromium', { timeout: 120_000 }, () => {
  it('after npm run demo, casebridge track serves a demo case: form → timeline; axe (WCAG 2.2 AA) passes; screenshot for the README', async () => {
    await waitForCase(`${demoBase}?reference=2500396`);
    const page = await newPage();
    await lookUp(page, '2500396', undefined, demoBase);
    expect(await page.title()).toBe('Case 2500396 – Track my case');
    expect(await text(page, 'h1')).toBe('Abandoned Vehicle');
    expect(await text(page, '.govuk-tag')).toBe('Work finished');
    expect(await page.$$eval('.app-timeline__title', (els) => els.map((e) => e.textContent))).toEqual(['Work finished', 'Work under way', 'Inspected']);
    expect(await page.$$eval('.app-progress__item--complete', (els) => els.length)).toBe(4);
    expect(await text(page, 'main')).toMatch(/Due by\s+2 April 2025/);
    await expectAccessible(page);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT as `${string}.png`, fullPage: true });
    expect(failedRequests).toEqual([]);
    await page.close();
  });

  it('shows a case with notes, a photo link and a due date; axe passes', async () => {
    const page = await newPage();
    await lookUp(page, 'HW-100234', 'n1 1xr');
    expect(page.url()).toBe(`${base}?reference=HW-100234&postcode=n1+1xr`);
    expect(await page.title()).toBe('Case HW-100234 – Track my case');
    expect(await text(page, 'h1')).toBe('Pothole');
    expect(await text(page, '.govuk-tag')).toBe('Repair booked');
    expect(await page.$$eval('.app-progress__item', (els) => els.map((e) => e.className.replace('app-progress__item ', '')))).toEqual([
      'app-progress__item--complete',
      'app-progress__item--complete',
      'app-progress__item--current',
      'app-progress__item--upcoming',
    ]);
    expect(await text(page, '[aria-current="step"]')).toContain('Due by 12 November 2025');
    expect(await page.$$eval('.app-timeline__title', (els) => els.map((e) => e.textContent))).toEqual(['Repair booked', 'Inspected', 'Reported']);
    // The stylesheets loaded and apply: the tag has its colour, the skip link is off screen until focused.
    expect(await page.evaluate(`getComputedStyle(document.querySelector('.govuk-tag')).backgroundColor`)).not.toBe('rgba(0, 0, 0, 0)');
    await expectAccessible(page);
    expect(failedRequests).toEqual([]);
    await page.close();
  });

  it('the first Tab reaches the skip link, which moves to the main content', async () => {
    const page = await newPage();
    await page.goto(base, { waitUntil: 'load' });
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to main content');
    await page.keyboard.press('Enter');
    await page.waitForFunction(`location.hash === '#main-content'`, WAIT);
    await page.close();
  });

  it('gives the same page for a wrong postcode and an unknown reference, with an error summary that passes axe', async () => {
    const page = await newPage();
    const seen = async (reference: string, postcode?: string) => {
      await lookUp(page, reference, postcode);
      return { title: await page.title(), main: await text(page, 'main') };
    };
    const wrongPostcode = await seen('HR-5531', 'N1 1XR');
    const unknown = await seen('HR-9999', 'N1 1XR');
    const privateWithoutPostcode = await seen('HR-5531');
    expect(wrongPostcode.title).toBe('Error: Find your case – Track my case');
    expect(wrongPostcode.main).toContain('We could not find a case with that reference and postcode');
    expect(unknown).toEqual(wrongPostcode);
    expect(privateWithoutPostcode).toEqual(wrongPostcode);
    // The real tracker too: a demo case of a private service, asked without a postcode, is
    // answered exactly like a reference that does not exist.
    const seenOnDemo = async (reference: string) => {
      await lookUp(page, reference, undefined, demoBase);
      return { title: await page.title(), main: await text(page, 'main') };
    };
    await waitForCase(`${demoBase}?reference=2500396`);
    expect(await seenOnDemo('2500656')).toEqual(await seenOnDemo('9999999'));
    await expectAccessible(page);
    // The error summary links to the field with the problem.
    expect(await page.$eval('.govuk-error-summary__list a', (a) => a.getAttribute('href'))).toBe('#reference');
    expect(await page.$eval('#reference', (el) => el.getAttribute('aria-describedby'))).toBe('reference-hint reference-error');
    // And the right postcode shows the private case, closed as a duplicate.
    await lookUp(page, 'HR-5531', 'N7 8DB');
    expect(await text(page, 'main')).toContain('Someone had already reported this.');
    await expectAccessible(page);
    await page.close();
  });

  it('the empty form and a form with problems pass axe too', async () => {
    const page = await newPage();
    await page.goto(base, { waitUntil: 'load' });
    await expectAccessible(page);
    await page.type('#postcode', 'not a postcode');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
    expect(await page.$$eval('.govuk-error-summary__list a', (els) => els.map((a) => a.getAttribute('href')))).toEqual(['#reference', '#postcode']);
    await expectAccessible(page);
    expect(failedRequests).toEqual([]);
    await page.close();
  });
});
