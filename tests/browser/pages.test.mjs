// Tenant sites seen in a real browser: headless Chromium driven by playwright-core.
// Run through run.sh, which creates the tenants below and starts `civitas serve`,
// then exports CIVITAS_TEST_HTTP_PORT.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  SCREENSHOTS,
  contrastReport,
  launchChromium,
  logoState,
  pngSize,
  tabUntil,
  unexpectedProblems,
  visit,
  watchPage, newContextIn } from './helpers.mjs';

const PORT = process.env.CIVITAS_TEST_HTTP_PORT;

// What run.sh creates.
const VILLE = {
  name: 'Ville de Lumière',
  host: 'ville.localhost',
  secondaryHost: 'www.ville.localhost',
  defaultLocale: 'fr',
  color: '#000091',
  nav: [
    { href: '/', label: 'Accueil' },
    { href: '/processes', label: 'Concertations' },
    { href: '/pages', label: 'Pages' },
    { href: '/blog', label: 'Actualités' },
  ],
};
const CAMPUS = {
  name: 'Campus Horizon',
  host: 'campus.localhost',
  defaultLocale: 'en',
  color: '#6e2a8c',
  nav: [
    { href: '/', label: 'Home' },
    { href: '/processes', label: 'Processes' },
    { href: '/pages', label: 'Pages' },
  ],
};
const TENANTS = [VILLE, CAMPUS];
const SKIP_TEXT = { fr: 'Aller au contenu', en: 'Skip to content' };
const MAIN_MENU = { fr: 'Menu principal', en: 'Main menu' };
const NOT_FOUND = { fr: 'Page introuvable', en: 'Page not found' };

/** @type {import('playwright-core').Browser} */
let browser;
let closeBrowser;

before(async () => {
  assert.match(PORT ?? '', /^\d+$/, 'CIVITAS_TEST_HTTP_PORT must be set: run these tests through tests/browser/run.sh');
  ({ browser, close: closeBrowser } = await launchChromium());
  await mkdir(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await closeBrowser?.();
});

function url(host, pathAndQuery = '/') {
  return `http://${host}:${PORT}${pathAndQuery}`;
}

/**
 * A fresh context: no cookies, and an Accept-Language that matches neither locale, so
 * each tenant shows its own default language until a visitor picks one.
 */
function newContext(options = {}) {
  return newContextIn(browser, 'de-DE', options);
}

// ---------------------------------------------------------------------------------

test('the home page of each tenant shows its own name as the h1, its logo and its default language', async () => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    for (const tenant of TENANTS) {
      const other = TENANTS.find((t) => t !== tenant);
      const res = await page.goto(url(tenant.host, '/'));
      assert.equal(res.status(), 200, `${tenant.host}/ status`);
      assert.deepEqual(await page.locator('h1').allInnerTexts(), [tenant.name], `${tenant.host}: the one h1`);
      assert.equal(await page.locator('.brand-name').innerText(), tenant.name);
      assert.equal(await page.getAttribute('html', 'lang'), tenant.defaultLocale, `${tenant.host}: html[lang]`);

      const logo = await logoState(page);
      assert.match(logo.src ?? '', /^\/branding\/logo\?v=\d+$/, `${tenant.host}: logo src`);
      assert.ok(logo.naturalWidth > 0 && logo.naturalHeight > 0, `${tenant.host}: the logo did not load (${JSON.stringify(logo)})`);
      assert.ok(logo.width > 0, `${tenant.host}: the logo takes no room on the page`);

      const primary = await page.evaluate(() =>
        getComputedStyle(document.documentElement).getPropertyValue('--c-primary').trim().toLowerCase(),
      );
      assert.equal(primary, tenant.color, `${tenant.host}: --c-primary from /branding.css`);

      const body = await page.locator('body').innerText();
      assert.ok(!body.includes(other.name), `${tenant.host} shows the other tenant's name "${other.name}"`);
    }
  } finally {
    await context.close();
  }
});

for (const tenant of TENANTS) {
  test(`on ${tenant.host}, the first Tab focuses a visible skip link and Enter moves focus to the main content`, async () => {
    const context = await newContext();
    try {
      const page = await context.newPage();
      await page.goto(url(tenant.host, '/'));
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement;
        const rect = el.getBoundingClientRect();
        return {
          tag: el.tagName,
          href: el.getAttribute('href'),
          text: el.textContent.trim(),
          inViewport: rect.top >= 0 && rect.left >= 0 && rect.bottom <= innerHeight && rect.width > 1 && rect.height > 1,
        };
      });
      assert.deepEqual(
        { tag: focused.tag, href: focused.href, text: focused.text },
        { tag: 'A', href: '#main', text: SKIP_TEXT[tenant.defaultLocale] },
        'the first focusable element is the skip link',
      );
      assert.ok(focused.inViewport, 'the focused skip link is shown on screen');

      await page.keyboard.press('Enter');
      await page.waitForFunction(() => location.hash === '#main');
      const after = await page.evaluate(() => ({
        active: document.activeElement?.id ?? null,
        mainTop: document.getElementById('main').getBoundingClientRect().top,
        scrollMax: document.documentElement.scrollHeight - innerHeight,
        scrollY,
      }));
      assert.equal(after.active, 'main', 'focus is on <main id="main"> after the skip link');
      // Scrolled to #main as far as the page's height allows.
      assert.ok(
        Math.abs(after.mainTop) < 2 || Math.abs(after.scrollY - after.scrollMax) < 2,
        `#main is not scrolled into place (${JSON.stringify(after)})`,
      );
    } finally {
      await context.close();
    }
  });

  test(`on ${tenant.host}, tabbing on from the skip link reaches the main navigation links in order, each with a visible focus ring`, async () => {
    const context = await newContext();
    try {
      const page = await context.newPage();
      await page.goto(url(tenant.host, '/'));
      const sequence = [];
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press('Tab');
        const el = await page.evaluate(() => {
          const a = document.activeElement;
          const nav = a.closest('nav[aria-label]:not(.lang-switch):not(.account-nav)');
          const style = getComputedStyle(a);
          return {
            href: a.getAttribute('href'),
            text: a.innerText.trim(),
            inMainNav: nav !== null,
            navLabel: nav?.getAttribute('aria-label') ?? null,
            outline: `${style.outlineStyle} ${style.outlineWidth}`,
          };
        });
        if (el.href === null) break; // left the links (body or the end of the page)
        sequence.push(el);
        if (sequence.length > 1 && el.href === sequence[0].href && el.text === sequence[0].text) break;
        if (el.href.startsWith('/pages/accessibilite')) break; // the footer: past the menu
      }
      assert.equal(sequence[0]?.href, '#main', 'the skip link comes first');
      const firstNav = sequence.findIndex((e) => e.inMainNav);
      assert.ok(firstNav > 0, `Tab never reached the main navigation: ${JSON.stringify(sequence)}`);
      const navRun = [];
      for (let i = firstNav; i < sequence.length && sequence[i].inMainNav; i++) navRun.push(sequence[i]);
      assert.deepEqual(
        navRun.map(({ href, text }) => ({ href, label: text })),
        tenant.nav,
        'the main navigation links, in Tab order, one after the other',
      );
      assert.equal(
        sequence.filter((e) => e.inMainNav).length,
        navRun.length,
        'the main navigation links are reached in one run',
      );
      assert.equal(navRun[0].navLabel, MAIN_MENU[tenant.defaultLocale], 'the menu has its aria-label');
      for (const link of navRun) {
        const [style, width] = link.outline.split(' ');
        assert.ok(style !== 'none' && parseFloat(width) >= 2, `no visible focus ring on "${link.text}": ${link.outline}`);
      }
    } finally {
      await context.close();
    }
  });
}

test('switching ville.localhost to English with the keyboard reloads it with html[lang="en"] and English strings', async () => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    await page.goto(url(VILLE.host, '/'));
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    await tabUntil(page, 'nav.lang-switch a[hreflang="en"]');
    assert.equal(
      await page.evaluate(() => document.activeElement.getAttribute('href')),
      '/locale/en?next=/',
      'the English link of the switcher',
    );
    const switched = page.waitForResponse((r) => new URL(r.url()).pathname === '/locale/en');
    await page.keyboard.press('Enter');
    assert.equal((await switched).status(), 303, '/locale/en redirects back');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.waitForLoadState('load');
    assert.equal(page.url(), url(VILLE.host, '/'), 'back on the page it came from');
    assert.equal(await page.locator('a.skip-link').innerText(), 'Skip to content');
    assert.equal(await page.getAttribute('nav.main-nav', 'aria-label'), 'Main menu');
    assert.deepEqual(await page.locator('nav.main-nav a').allInnerTexts(), ['Home', 'Processes', 'Pages', 'News']);
    assert.equal(await page.getAttribute('nav.lang-switch a[hreflang="en"]', 'aria-current'), 'true');
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [VILLE.name]);
    const cookies = await context.cookies(url(VILLE.host, '/'));
    assert.equal(cookies.find((c) => c.name === 'civitas_locale')?.value, 'en', 'the choice is kept in a cookie');
    // And it sticks on the next page.
    await page.goto(url(VILLE.host, '/pages'));
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
  } finally {
    await context.close();
  }
});

test('switching campus.localhost to French with the keyboard reloads it with html[lang="fr"] and French strings', async () => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    await page.goto(url(CAMPUS.host, '/'));
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await tabUntil(page, 'nav.lang-switch a[hreflang="fr"]');
    const switched = page.waitForResponse((r) => new URL(r.url()).pathname === '/locale/fr');
    await page.keyboard.press('Enter');
    assert.equal((await switched).status(), 303);
    await page.waitForFunction(() => document.documentElement.lang === 'fr');
    await page.waitForLoadState('load');
    assert.equal(page.url(), url(CAMPUS.host, '/'));
    assert.equal(await page.locator('a.skip-link').innerText(), 'Aller au contenu');
    assert.deepEqual(await page.locator('nav.civic-nav a').allInnerTexts(), ['Accueil', 'Concertations', 'Pages']);
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [CAMPUS.name]);
  } finally {
    await context.close();
  }
});

test('main navigation links and body text contrast at least 4.5:1 with their background', async (t) => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    const failures = [];
    const lowest = [];
    for (const tenant of TENANTS) {
      for (const p of ['/', '/pages', '/pages/accessibilite']) {
        await page.goto(url(tenant.host, p));
        const report = await contrastReport(page);
        const navLinks = report.filter((r) => r.role === 'main navigation link');
        assert.equal(navLinks.length, tenant.nav.length, `${tenant.host}${p}: main navigation links measured`);
        assert.ok(report.some((r) => r.role === 'text'), `${tenant.host}${p}: no text measured`);
        for (const r of report) {
          if (r.ratio < 4.5) failures.push({ page: `${tenant.host}${p}`, ...r });
        }
        const min = report.reduce((m, r) => (r.ratio < m.ratio ? r : m));
        lowest.push(`${tenant.host}${p}: lowest ${min.ratio}:1 for ${min.element} "${min.text}" (${min.color} on ${min.background})`);
      }
    }
    assert.deepEqual(failures, [], `texts below 4.5:1:\n${failures.map((f) => JSON.stringify(f)).join('\n')}`);
    for (const line of lowest) t.diagnostic(line);
  } finally {
    await context.close();
  }
});

test('the contrast measure flags grey menu links on the primary colour (self-check)', async () => {
  // Only this context lets an injected stylesheet past the CSP.
  const context = await newContext({ bypassCSP: true });
  try {
    const page = await context.newPage();
    await page.goto(url(VILLE.host, '/'));
    await page.addStyleTag({ content: 'nav.main-nav a { color: #777777 !important; }' });
    const report = await contrastReport(page);
    const nav = report.filter((r) => r.role === 'main navigation link');
    assert.equal(nav.length, VILLE.nav.length);
    for (const r of nav) {
      assert.equal(r.background, 'rgb(0, 0, 145)', `${r.text}: the background is the menu's #000091`);
      assert.ok(r.ratio < 4.5, `${r.text}: #777777 on #000091 measured ${r.ratio}`);
    }
  } finally {
    await context.close();
  }
});

test('the watcher used below notices a CSP violation and a console error (self-check)', async () => {
  const context = await newContext();
  try {
    const watched = await watchPage(context);
    assert.equal(await visit(watched, url(VILLE.host, '/pages')), 200);
    await watched.page.evaluate(() => {
      const style = document.createElement('style');
      style.textContent = 'body { outline: 1px solid red; }';
      document.head.append(style);
      console.error('self-check');
    });
    await watched.page.waitForFunction(() => window.__cspViolations.length > 0);
    const csp = await watched.page.evaluate(() => window.__cspViolations);
    assert.equal(csp[0].directive, 'style-src-elem', 'the inline <style> is refused and reported');
    assert.ok(
      unexpectedProblems(watched.problems, []).some((p) => p.kind === 'console error' && p.text === 'self-check'),
    );
  } finally {
    await context.close();
  }
});

test('pages load with no console error, no uncaught exception, no CSP violation and no failed subresource', async () => {
  const context = await newContext();
  try {
    const watched = await watchPage(context);
    const visits = [
      [VILLE.host, '/', 200],
      [VILLE.host, '/pages', 200],
      [VILLE.host, '/pages/accessibilite', 200],
      [VILLE.host, '/pages/mentions-legales', 200],
      [VILLE.host, '/blog', 200],
      [VILLE.host, '/nulle-part', 404],
      [CAMPUS.host, '/', 200],
      [CAMPUS.host, '/pages', 200],
      [CAMPUS.host, '/pages/accessibilite', 200],
      [CAMPUS.host, '/blog', 404], // no blog module on campus
      [CAMPUS.host, '/nowhere', 404],
      ['nobody.localhost', '/', 404],
    ];
    const expected404s = [];
    for (const [host, p, expected] of visits) {
      const target = url(host, p);
      assert.equal(await visit(watched, target), expected, `${target} status`);
      if (expected === 404) expected404s.push(target);
    }
    await watched.page.waitForTimeout(1_000); // late messages of the last page
    const found = unexpectedProblems(watched.problems, expected404s);
    assert.deepEqual(found, [], `problems:\n${found.map((f) => JSON.stringify(f)).join('\n')}`);
  } finally {
    await context.close();
  }
});

test(
  'each tenant host gives Chromium an icon, so it logs no 404 for /favicon.ico',
  async () => {
    const context = await newContext();
    try {
      const page = await context.newPage();
      const missing = [];
      for (const tenant of TENANTS) {
        await page.goto(url(tenant.host, '/'));
        const declared = await page.evaluate(() => document.querySelector('link[rel~="icon"]')?.href ?? null);
        const icon = declared ?? url(tenant.host, '/favicon.ico');
        const status = await page.evaluate(async (href) => (await fetch(href, { redirect: 'manual' })).status, icon);
        if (status !== 200) missing.push(`${tenant.host}: ${icon} answers ${status}`);
      }
      assert.deepEqual(missing, []);
    } finally {
      await context.close();
    }
  },
);

test('an unknown path on a tenant host shows a 404 page in that tenant\'s branding and language', async () => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    for (const [tenant, theme] of [
      [VILLE, 'theme-default'],
      [CAMPUS, 'theme-civic'],
    ]) {
      const res = await page.goto(url(tenant.host, '/no/such/page'));
      assert.equal(res.status(), 404);
      assert.deepEqual(await page.locator('h1').allInnerTexts(), [NOT_FOUND[tenant.defaultLocale]]);
      assert.equal(await page.locator('.brand-name').innerText(), tenant.name);
      assert.equal(await page.getAttribute('body', 'class'), theme);
      assert.equal(await page.getAttribute('html', 'lang'), tenant.defaultLocale);
      const logo = await logoState(page);
      assert.ok(logo.naturalWidth > 0, `${tenant.host}: the logo did not load on the 404 page`);
      const primary = await page.evaluate(() =>
        getComputedStyle(document.documentElement).getPropertyValue('--c-primary').trim().toLowerCase(),
      );
      assert.equal(primary, tenant.color);
    }
  } finally {
    await context.close();
  }
});

test('the www host redirects to the primary host, keeping the path and query', async () => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    const start = url(VILLE.secondaryHost, '/pages/accessibilite?from=www');
    const res = await page.goto(start);
    assert.equal(page.url(), url(VILLE.host, '/pages/accessibilite?from=www'));
    assert.equal(res.status(), 200);
    const first = res.request().redirectedFrom();
    assert.equal(first?.url(), start, 'the first request went to the www host');
    assert.equal((await first.response()).status(), 301);
    assert.deepEqual(await page.locator('h1').allInnerTexts(), ['Accessibilité']);

    await page.goto(url(VILLE.secondaryHost, '/'));
    assert.equal(page.url(), url(VILLE.host, '/'));
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [VILLE.name]);
  } finally {
    await context.close();
  }
});

test('an unknown host shows the 404 page without the name of either tenant', async () => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    const logoRequests = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/branding')) logoRequests.push(r.url());
    });
    const res = await page.goto(url('nobody.localhost', '/'));
    assert.equal(res.status(), 404);
    // No tenant, no language cookie: the browser's language, else French.
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [NOT_FOUND.fr]);
    const html = await page.content();
    const title = await page.title();
    for (const tenant of TENANTS) {
      assert.ok(!html.includes(tenant.name), `the page names ${tenant.name}`);
      assert.ok(!title.includes(tenant.name), `the title names ${tenant.name}`);
    }
    assert.equal(await page.locator('img').count(), 0, 'no logo on a page of no tenant');
    assert.deepEqual(logoRequests, [], 'no branding requested');
  } finally {
    await context.close();
  }
});

test('full-page screenshots of the home and 404 pages are saved in tests/browser/screenshots', async (t) => {
  const shots = [
    { file: 'ville-home-fr.png', host: VILLE.host, path: '/', status: 200 },
    { file: 'ville-home-en.png', host: VILLE.host, path: '/', status: 200, locale: 'en' },
    { file: 'campus-home-en.png', host: CAMPUS.host, path: '/', status: 200 },
    { file: 'campus-home-fr.png', host: CAMPUS.host, path: '/', status: 200, locale: 'fr' },
    { file: 'ville-404-fr.png', host: VILLE.host, path: '/nulle-part', status: 404 },
    { file: 'campus-404-en.png', host: CAMPUS.host, path: '/nowhere', status: 404 },
    { file: 'unknown-host-404.png', host: 'nobody.localhost', path: '/', status: 404 },
    { file: 'ville-home-fr-mobile.png', host: VILLE.host, path: '/', status: 200, mobile: true },
    { file: 'campus-home-en-mobile.png', host: CAMPUS.host, path: '/', status: 200, mobile: true },
  ];
  for (const shot of shots) {
    const viewport = shot.mobile ? { width: 390, height: 844 } : { width: 1280, height: 800 };
    const context = await newContext({ viewport });
    try {
      if (shot.locale) {
        await context.addCookies([{ name: 'civitas_locale', value: shot.locale, url: url(shot.host, '/') }]);
      }
      const page = await context.newPage();
      const res = await page.goto(url(shot.host, shot.path));
      assert.equal(res.status(), shot.status, `${shot.file}: status`);
      if (shot.locale) assert.equal(await page.getAttribute('html', 'lang'), shot.locale);
      if (shot.host !== 'nobody.localhost') {
        const logo = await logoState(page);
        assert.ok(logo.naturalWidth > 0, `${shot.file}: the logo did not load`);
      }
      await page.evaluate(() => document.fonts.ready);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
      if (overflow > 0) t.diagnostic(`${shot.file}: the page is ${overflow}px wider than the viewport`);
      const file = path.join(SCREENSHOTS, shot.file);
      await page.screenshot({ path: file, fullPage: true });
      const size = pngSize(await readFile(file));
      assert.equal(size.width, viewport.width + Math.max(overflow, 0), `${shot.file}: width`);
      assert.ok(size.height >= viewport.height, `${shot.file}: height ${size.height}`);
    } finally {
      await context.close();
    }
  }
});
