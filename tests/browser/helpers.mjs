// What the browser test files share: the Chromium they drive, and the checks they
// run in a page (logo, console errors and CSP violations, contrast, Tab order).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

/** Where screenshots land; run.sh empties it before the test files run (in parallel). */
export const SCREENSHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP *.localhost 127.0.0.1',
];

/**
 * Debian's Chromium, headless. launch() gives the browser a fresh temporary profile
 * (user data dir) and removes it on close; the config and cache folders Chromium would
 * use beside it are fresh too, and `close` removes them.
 * @returns {Promise<{ browser: import('playwright-core').Browser, close: () => Promise<void> }>}
 */
export async function launchChromium() {
  const chromiumHome = await mkdtemp(path.join(tmpdir(), 'civitas-chromium-'));
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      env: { ...process.env, XDG_CONFIG_HOME: path.join(chromiumHome, 'config'), XDG_CACHE_HOME: path.join(chromiumHome, 'cache') },
    });
  } catch (err) {
    await rm(chromiumHome, { recursive: true, force: true });
    throw err;
  }
  return {
    browser,
    async close() {
      await browser.close();
      await rm(chromiumHome, { recursive: true, force: true });
    },
  };
}

/** The first `<img class="brand-logo">` once it has finished loading, as the page sees it. */
export async function logoState(page) {
  const logo = page.locator('img.brand-logo').first();
  await logo.waitFor({ state: 'attached' });
  await page.waitForFunction(() => document.querySelector('img.brand-logo')?.complete === true);
  return logo.evaluate((img) => ({
    src: img.getAttribute('src'),
    naturalWidth: img.naturalWidth,
    naturalHeight: img.naturalHeight,
    width: img.getBoundingClientRect().width,
  }));
}

/**
 * Records console errors, uncaught exceptions, CSP violations and failed subresources
 * of every page loaded with `visit`. Nothing is cleared between visits: a late message
 * (Chromium fetches the icon after the load event) is never lost.
 */
export async function watchPage(context) {
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener(
      'securitypolicyviolation',
      (e) => {
        window.__cspViolations.push({
          directive: e.violatedDirective,
          blocked: e.blockedURI,
          source: e.sourceFile,
          line: e.lineNumber,
          sample: e.sample,
        });
      },
      true,
    );
  });
  const page = await context.newPage();
  const watched = { page, problems: [], current: null };
  const record = (problem) => watched.problems.push({ page: watched.current, ...problem });
  page.on('console', (msg) => {
    if (msg.type() === 'error') record({ kind: 'console error', text: msg.text(), url: msg.location().url });
  });
  page.on('pageerror', (err) => record({ kind: 'uncaught exception', text: String(err) }));
  page.on('requestfailed', (req) => {
    const text = req.failure()?.errorText ?? '';
    // A navigation cancels what the previous page was still fetching (its favicon,
    // say): the browser's own doing, not a failure of the site.
    if (text === 'net::ERR_ABORTED' && req.resourceType() !== 'document') return;
    record({ kind: 'request failed', text, url: req.url() });
  });
  page.on('response', (res) => {
    if (res.request().resourceType() !== 'document' && res.status() >= 400) {
      record({ kind: `subresource answered ${res.status()}`, url: res.url() });
    }
  });
  return watched;
}

/** Loads `target` and returns its status; CSP violations seen there join `problems`. */
export async function visit(watched, target) {
  const { page } = watched;
  watched.current = target;
  const res = await page.goto(target, { waitUntil: 'load' });
  await page.waitForLoadState('networkidle');
  const csp = await page.evaluate(() => window.__cspViolations);
  for (const v of csp) watched.problems.push({ page: target, kind: 'CSP violation', ...v });
  return res?.status();
}

/**
 * What is left once the expected line is set aside: Chromium logs a console error
 * for a document answered 404, which is expected on a page meant to be a 404.
 */
export function unexpectedProblems(problems, expected404s) {
  return problems.filter((p) => {
    if (p.kind !== 'console error' || !/status of 404/.test(p.text ?? '')) return true;
    return !expected404s.includes(p.url);
  });
}

/** Contrast of each visible text against its effective background, computed in the page. */
export async function contrastReport(page) {
  return page.evaluate(() => {
    function parse(value) {
      const m = value.match(
        /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:\s*[,/]\s*([\d.]+)(%?))?\s*\)$/,
      );
      if (!m) throw new Error(`unsupported colour format: ${value}`);
      let alpha = m[4] === undefined ? 1 : Number(m[4]);
      if (m[5] === '%') alpha /= 100;
      return [Number(m[1]), Number(m[2]), Number(m[3]), alpha];
    }
    function over(top, bottom) {
      const a = top[3];
      return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1);
    }
    function luminance([r, g, b]) {
      const lin = (c) => {
        const s = c / 255;
        return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    }
    function background(el) {
      // Backgrounds from the element up to the first opaque one, composited bottom-up
      // over the white canvas.
      const layers = [];
      for (let node = el; node && node.nodeType === Node.ELEMENT_NODE; node = node.parentElement) {
        const style = getComputedStyle(node);
        if (style.backgroundImage !== 'none') {
          throw new Error(`background image on ${node.tagName.toLowerCase()}.${node.className}: contrast cannot be computed`);
        }
        const color = parse(style.backgroundColor);
        if (color[3] > 0) layers.push(color);
        if (color[3] >= 1) break;
      }
      let result = [255, 255, 255, 1];
      for (const layer of layers.reverse()) result = over(layer, result);
      return result;
    }
    function describe(el) {
      const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
      return `${el.tagName.toLowerCase()}${cls}`;
    }
    function measure(el, role) {
      const bg = background(el);
      const fg = over(parse(getComputedStyle(el).color), bg);
      const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
      return {
        role,
        element: describe(el),
        text: el.textContent.trim().replace(/\s+/g, ' ').slice(0, 60),
        color: getComputedStyle(el).color,
        background: `rgb(${bg.slice(0, 3).map(Math.round).join(', ')})`,
        ratio: Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100,
      };
    }
    function visible(el) {
      const style = getComputedStyle(el);
      if (style.visibility !== 'visible' || style.display === 'none' || Number(style.opacity) === 0) return false;
      const rect = el.getBoundingClientRect();
      // Off-screen (the unfocused skip link) or clipped to a pixel (visually-hidden text).
      return rect.width > 1 && rect.height > 1 && rect.bottom > 0 && rect.right > 0;
    }

    // The site's menu: not the language switcher, nor the account links (sign in,
    // sign up, or the signed-in person's name), whose texts are measured as texts.
    const mainNav = document.querySelector('nav[aria-label]:not(.lang-switch):not(.account-nav)');
    const navLinks = mainNav ? [...mainNav.querySelectorAll('a')] : [];
    const texts = [...document.body.querySelectorAll('*')].filter(
      (el) =>
        !navLinks.includes(el) &&
        [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== '') &&
        visible(el),
    );
    return [
      ...navLinks.filter(visible).map((el) => measure(el, 'main navigation link')),
      ...texts.map((el) => measure(el, 'text')),
    ];
  });
}

/** Presses Tab up to `max` times until the focused element matches `selector`; returns the presses. */
export async function tabUntil(page, selector, max = 30) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return i + 1;
  }
  throw new Error(`${max} presses of Tab never focused ${selector}`);
}

export function pngSize(bytes) {
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG', 'not a PNG file');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/**
 * A fresh browser context (no cookies) in `locale`, with the timeouts every test uses.
 */
export async function newContextIn(browser, locale, options = {}) {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 }, ...options });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(15_000);
  return context;
}

/** A file name from a step's sentence: lowercase ASCII words joined by dashes, at most 80 characters. */
export function fileSlug(text) {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
}

/**
 * Runs `fn`; when it throws, a full-page screenshot of `page()` (the page the step
 * was acting on, if any is still open) lands in SCREENSHOTS as `FAILED-<step>.png`
 * before the error goes on. A CI keeps that folder (run.sh names it on failure).
 * @param {string} step what the step does, a sentence
 * @param {() => import('playwright-core').Page | null | undefined} page
 * @param {() => Promise<void>} fn
 */
export async function screenshotOnFailure(step, page, fn) {
  try {
    await fn();
  } catch (err) {
    const current = page();
    if (current && !current.isClosed()) {
      const file = path.join(SCREENSHOTS, `FAILED-${fileSlug(step)}.png`);
      try {
        await current.screenshot({ path: file, fullPage: true, timeout: 5_000 });
        err.message += `\n(screenshot of ${current.url()}: ${file})`;
      } catch (shotErr) {
        err.message += `\n(no screenshot: ${shotErr.message.split('\n')[0]})`;
      }
    }
    throw err;
  }
}
