/**
 * What the browser halves of the benchmarks (bench-*.spec.ts, run by kernel/src/bench/
 * browser.ts) share: a fresh page on the default layout, the service kernels shut down
 * (a server killed by Playwright would orphan them), the result written where the bench
 * reads it, and "the next paint" as the end of a timed step.
 */
import * as fs from 'fs';
import type { APIRequestContext, Browser, Page } from '@playwright/test';
import { expect } from '@jupyterlab/galata';

/** Rounds the benchmark asked for. */
export const ROUNDS = Number(process.env.NBX_BENCH_ROUNDS || 5);

/** A fresh page on JupyterLab with the default layout; resolves once it has started. */
export async function freshPage(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${baseURL}/lab?reset`);
  await page.waitForFunction(() => window.jupyterapp?.started !== undefined);
  await page.evaluate(() => window.jupyterapp.started);
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, { timeout: 60_000 });
  return page;
}

/** Shuts down the service kernels of the server (a killed server would orphan them). */
export async function shutDownServiceKernels(request: APIRequestContext): Promise<void> {
  const kernels = (await (await request.get('/api/kernels')).json()) as {
    id: string;
    name: string;
  }[];
  for (const kernel of kernels.filter(k => k.name === 'nbx-service')) {
    await request.delete(`/api/kernels/${kernel.id}`);
  }
}

/** Prints the result for the log and writes it where the benchmark reads it. */
export function writeResult(tag: string, result: unknown): void {
  process.stdout.write(`${tag} ${JSON.stringify(result)}\n`);
  if (process.env.NBX_BENCH_OUT) {
    fs.writeFileSync(process.env.NBX_BENCH_OUT, JSON.stringify(result, null, 2));
  }
}
