/**
 * Edits made through MLflow's web UI, as a user clicks them, for test/ui-e2e.test.ts: renaming a
 * run (header menu → Rename), adding a tag (Overview → Add tags) and writing its description note
 * (Overview → Edit description). The selectors are the 3.18 bundle's own test ids and labels.
 */
import type { Browser, ElementHandle, Page } from 'puppeteer-core';

/** The browser globals the page functions here use (test/ compiles without the DOM lib). */
interface PageNode {
  innerText: string;
}
declare const document: { body: PageNode; querySelector(selector: string): PageNode | null; querySelectorAll(selector: string): ArrayLike<PageNode> };

/** What to change on one run. */
export interface RunEdits {
  name: string;
  tag: { key: string; value: string };
  note: string;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForText(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t: string) => document.querySelector('main')?.innerText.includes(t), { timeout: 20_000, polling: 200 }, text);
}

/** The first element matching `selector` whose text contains `text`. */
async function byText(page: Page, selector: string, text: string): Promise<ElementHandle> {
  const handle = await page.waitForFunction(
    (sel: string, t: string) => Array.from(document.querySelectorAll(sel)).find((e) => e.innerText.trim() === t) ?? null,
    { timeout: 15_000, polling: 200 },
    selector,
    text,
  );
  return handle as unknown as ElementHandle;
}

async function rename(page: Page, name: string): Promise<void> {
  await page.click('[data-testid="overflow-menu-trigger"]');
  await (await page.waitForSelector('[data-testid="overflow-rename-button"]'))!.click();
  const input = (await page.waitForSelector('[data-testid="rename-modal-input"]'))!;
  await input.click({ count: 3 });
  await page.keyboard.press('Backspace');
  await input.type(name);
  await (await byText(page, '[role="dialog"] button', 'Save')).click();
  await page.waitForSelector('[data-testid="rename-modal-input"]', { hidden: true, timeout: 15_000 });
}

async function writeNote(page: Page, note: string): Promise<void> {
  await page.click('[aria-label="Edit description"]');
  const area = (await page.waitForSelector('textarea[data-testid="text-area"]'))!;
  await area.type(note);
  await page.click('[data-testid="editable-note-save-button"]');
  await page.waitForSelector('textarea[data-testid="text-area"]', { hidden: true, timeout: 15_000 });
}

async function addTag(page: Page, key: string, value: string): Promise<void> {
  await page.click('[data-component-id="mlflow.run_details.overview.tags.add_button"]');
  const keyInput = (await page.waitForSelector('[role="dialog"] input[role="combobox"]'))!;
  await keyInput.type(key);
  await pause(300);
  await page.keyboard.press('Enter');
  await (await page.waitForSelector('[role="dialog"] input[name="value"]'))!.type(value);
  await page.click('[role="dialog"] button[aria-label="Add tag"]');
  await (await byText(page, '[role="dialog"] button', 'Save tags')).click();
  await page.waitForSelector('[role="dialog"] input[name="value"]', { hidden: true, timeout: 15_000 });
}

/**
 * Opens the run's page on `origin` in a fresh context and makes `edits` through the UI, each
 * waited for until the page shows it; saves a screenshot of the result.
 */
export async function editRunInUi(browser: Browser, origin: string, experimentId: string, runId: string, edits: RunEdits, screenshot: string): Promise<void> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  try {
    await page.goto(`${origin}/#/experiments/${experimentId}/runs/${runId}`, { waitUntil: 'networkidle0', timeout: 60_000 });
    await waitForText(page, runId);
    await rename(page, edits.name);
    await waitForText(page, edits.name);
    await writeNote(page, edits.note);
    await waitForText(page, edits.note);
    await addTag(page, edits.tag.key, edits.tag.value);
    await waitForText(page, edits.tag.value);
    await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
  } catch (e) {
    await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await context.close().catch(() => {});
  }
}
