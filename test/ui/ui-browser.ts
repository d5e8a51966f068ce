/**
 * Headless Chromium (Debian's, through puppeteer-core) for test/ui-e2e.test.ts: launching it, and
 * visiting one page of MLflow's web UI on a server while recording what the page asked the server
 * and what it rendered.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type BrowserContext, type HTTPRequest, type HTTPResponse, type Page } from 'puppeteer-core';

/** The browser globals the page functions here use (test/ compiles without the DOM lib). */
interface PageNode {
  innerText: string;
}
interface PageImage {
  src: string;
  complete: boolean;
  naturalWidth: number;
}
declare const document: { body: PageNode; images: ArrayLike<PageImage>; querySelector(selector: string): PageNode | null; querySelectorAll(selector: string): ArrayLike<PageNode> };
declare function requestAnimationFrame(callback: () => void): number;

/** The browser test/services/chromium.sh installs (env `MLSTORE_CHROMIUM` overrides it). */
export const chromiumPath = process.env.MLSTORE_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser cannot be used here, or null. */
export function chromiumProblem(): string | null {
  return existsSync(chromiumPath) ? null : `no Chromium at ${chromiumPath} (run: bash test/services/chromium.sh start)`;
}

/** Launches headless Chromium (no sandbox: CI runs as root) with a fixed window size. */
export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    defaultViewport: { width: 1440, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--lang=en-US', '--window-size=1440,900'],
    env: { ...process.env, TZ: 'UTC', LANG: 'en_US.UTF-8' },
    protocolTimeout: 60_000,
  });
}

/** One request the page made to its server and how it ended. */
export interface ObservedRequest {
  /** `METHOD /path?query` (the server's origin cut off). */
  key: string;
  /** The HTTP status, or the network error (`net::ERR_…`) when there was no response. */
  status: number | string;
  /** The request body (JSON posts, GraphQL queries), for the report. */
  postData?: string;
  /** The response body (first 2,000 characters) when the status is ≥ 400, for the report. */
  body?: string;
}

/** What one page visit observed. */
export interface PageCapture {
  /** The page's content text (`<main>`) as it reads now: the tab stays open until `close`. */
  read(): Promise<string>;
  /** Closes the tab (and its browser context). */
  close(): Promise<void>;
  requests: ObservedRequest[];
  /** The rendered text of the page's content (`<main>`) once it was ready. */
  text: string;
  /** The rendered text of the navigation beside it (`<aside>`). */
  nav: string;
  /** Why the page never showed its `ready` texts (then `text` is what it did show), or null. */
  problem: string | null;
}

/** One page of the UI: where it is, what shows it has rendered, and what to do there. */
export interface UiPageSpec {
  /** Short name, used for the screenshot's file name and the test's title. */
  name: string;
  /** The part after the origin, e.g. `#/experiments/1/runs`. */
  path: string;
  /** Text the page shows once its data has arrived (each must appear in `document.body.innerText`). */
  ready: string[];
  /** Interaction after the page is ready (typing a filter, clicking a file); then the page is awaited again. */
  act?: (page: Page) => Promise<void>;
  /** Text the page shows after `act`. */
  readyAfter?: string[];
  /** The page previews an image artifact: an `<img>` in `<main>` loaded from a `blob:` URL (fetched by the UI). */
  imagePreview?: boolean;
}

/** A request the UI makes to its server (not the bundle's own files, data: or blob: URLs). */
function isServerRequest(url: string, origin: string): boolean {
  if (!url.startsWith(origin)) return false;
  const path = url.slice(origin.length);
  return !path.startsWith('/static-files/') && path !== '/' && !path.startsWith('/#');
}

/** Until an `<img>` shows a picture loaded from a `blob:` URL (the UI fetches the artifact itself). */
async function waitForImagePreview(page: Page): Promise<void> {
  await page.waitForFunction(() => Array.from(document.images).some((i) => i.src.startsWith('blob:') && i.complete && i.naturalWidth > 0), { timeout: 30_000, polling: 200 });
}

async function waitForText(page: Page, texts: string[], timeoutMs: number, within = 'body'): Promise<void> {
  await page.waitForFunction(
    (want: string[], selector: string) => {
      const text = (document.querySelector(selector) ?? document.body).innerText;
      return want.every((t) => text.includes(t));
    },
    { timeout: timeoutMs, polling: 200 },
    texts,
    within,
  );
}

/** The rendered text of the page's content (`<main>`, or the whole page when it has none). */
function mainText(page: Page): Promise<string> {
  return page.evaluate(() => document.querySelector('main')?.innerText ?? document.body.innerText);
}

/** When the page last started or finished a request. */
interface Activity {
  last: number;
}

/**
 * Waits until the page has started or finished no request for 700 ms (at most 10 s), then two
 * animation frames (charts lay out once their data is in). Puppeteer's own network-idle wait
 * counts in-flight requests, and the UI keeps some open (the assistant's and telemetry's), so it
 * would always run into its timeout.
 */
async function settle(page: Page, activity: Activity): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() - activity.last < 700 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))));
  // Charts render after their data, lazily and later on a busy machine, and a view may refetch
  // once more: wait until the page's text has not changed for a second while no request started
  // or finished for 700 ms (at most 20 s more).
  const until = Date.now() + 20_000;
  let last = await mainText(page);
  let stableSince = Date.now();
  while ((Date.now() - stableSince < 1_000 || Date.now() - activity.last < 700) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await mainText(page);
    if (now !== last) [last, stableSince] = [now, Date.now()];
  }
}

/**
 * Opens `origin + spec.path` in a new tab of `context`, waits for network idle and the page's
 * `ready` texts, runs `spec.act` (then waits for `readyAfter`), saves a full-page screenshot to
 * `screenshot` and returns every server request with its outcome and the page's text; when the
 * ready texts do not appear in time, `problem` says so (and the capture holds what it did show).
 * The tab stays open, for reading again, until the capture's `close`.
 */
export async function visitUiPage(browser: Browser, origin: string, spec: UiPageSpec, screenshot: string): Promise<PageCapture> {
  // A fresh incognito context per visit: the UI keeps view state (filters, chart/table mode) in
  // local storage, which would otherwise leak from one page into the next.
  const context: BrowserContext = await browser.createBrowserContext();
  const page = await context.newPage();
  const requests: ObservedRequest[] = [];
  const pending: Promise<void>[] = [];
  const activity: Activity = { last: Date.now() };
  const touch = () => void (activity.last = Date.now());
  page.on('request', touch);
  page.on('requestfinished', touch);
  page.on('requestfailed', touch);
  const keyOf = (req: HTTPRequest) => `${req.method()} ${req.url().slice(origin.length)}`;
  page.on('response', (res: HTTPResponse) => {
    const req = res.request();
    if (!isServerRequest(req.url(), origin)) return;
    const observed: ObservedRequest = { key: keyOf(req), status: res.status(), postData: req.postData() };
    requests.push(observed);
    if (res.status() >= 400) {
      pending.push(res.text().then((t) => void (observed.body = t.slice(0, 2_000)), () => {}));
    }
  });
  page.on('requestfailed', (req: HTTPRequest) => {
    if (!isServerRequest(req.url(), origin)) return;
    requests.push({ key: keyOf(req), status: req.failure()?.errorText ?? 'failed', postData: req.postData() });
  });
  const close = () => context.close().catch(() => {});
  const read = () => mainText(page);
  try {
    await page.goto(origin + '/' + spec.path, { waitUntil: 'load', timeout: 60_000 });
    mkdirSync(join(screenshot, '..'), { recursive: true });
    let problem: string | null = null;
    try {
      await waitForText(page, spec.ready, 30_000);
      if (spec.imagePreview) await waitForImagePreview(page);
      await settle(page, activity);
      if (spec.act) {
        await spec.act(page);
        await waitForText(page, spec.readyAfter ?? spec.ready, 30_000);
        await settle(page, activity);
      }
      // The artifact view reloads itself, once or more, at moments that vary (on either server): take
      // the page as it reads once its texts are back in <main>, the part that is read (the file's
      // name stays in the page's header while the tree below shows "Artifact loading"); a page
      // whose texts live outside <main> falls back to the whole page.
      const texts = spec.readyAfter ?? spec.ready;
      await waitForText(page, texts, 15_000, 'main').catch(() => waitForText(page, texts, 30_000));
      if (spec.imagePreview) await waitForImagePreview(page);
    } catch (e) {
      problem = `${spec.name} (${origin}/${spec.path}) did not show ${JSON.stringify(spec.readyAfter ?? spec.ready)}: ${(e as Error).message}`;
    }
    await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true }).catch(() => {});
    const [text, nav] = [await read(), await page.evaluate(() => document.querySelector('aside')?.innerText ?? '')];
    await Promise.all(pending);
    return { requests, text: text!, nav: nav!, problem, read, close };
  } catch (e) {
    await close();
    throw e;
  }
}
