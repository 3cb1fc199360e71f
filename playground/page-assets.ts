import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** One file of the page, held in memory. */
export interface Asset {
  contentType: string;
  body: string;
}

const pageFile = (name: string) => fileURLToPath(new URL(`./page/${name}`, import.meta.url));

/** Bundles the page's script (`page/main.ts` and the client helpers it imports) for the browser, in memory. */
async function bundlePageScript(): Promise<string> {
  const result = await build({
    entryPoints: [pageFile('main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no page script');
  return output.text;
}

/**
 * The page, its stylesheet, its bundled script and its icon, by URL path. The icon is an SVG, linked
 * from the page and served at `/favicon.ico` as well, where browsers and tools look for it unasked.
 */
export async function loadPageAssets(): Promise<Map<string, Asset>> {
  const [html, css, script, icon] = await Promise.all([
    readFile(pageFile('index.html'), 'utf8'),
    readFile(pageFile('styles.css'), 'utf8'),
    bundlePageScript(),
    readFile(pageFile('favicon.svg'), 'utf8'),
  ]);
  const favicon = { contentType: 'image/svg+xml', body: icon };
  return new Map([
    ['/', { contentType: 'text/html; charset=utf-8', body: html }],
    ['/styles.css', { contentType: 'text/css; charset=utf-8', body: css }],
    ['/app.js', { contentType: 'text/javascript; charset=utf-8', body: script }],
    ['/favicon.svg', favicon],
    ['/favicon.ico', favicon],
  ]);
}
