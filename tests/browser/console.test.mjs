// The staff console seen in a real browser: headless Chromium driven by playwright-core.
// Run through run.sh, which starts `civitas serve` (tenant sites, ops and provisioning
// listeners), creates a staff account and exports CIVITAS_TEST_HTTP_PORT,
// CIVITAS_TEST_PROV_PORT, CIVITAS_TEST_STAFF_EMAIL and CIVITAS_TEST_SETUP_PATH.
//
// The tests below run in order and build on each other: the second activates the one
// staff account from its setup link (which works once) and creates an institution;
// the later ones sign in to that account, or reuse the session the second opened.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
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

const HTTP_PORT = process.env.CIVITAS_TEST_HTTP_PORT;
const PROV_PORT = process.env.CIVITAS_TEST_PROV_PORT;
const SETUP_PATH = process.env.CIVITAS_TEST_SETUP_PATH;
const STAFF_EMAIL = process.env.CIVITAS_TEST_STAFF_EMAIL;
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const PASSWORD = 'phare-du-Minou-1848';
// What run.sh creates.
const VILLE = { slug: 'ville', name: 'Ville de Lumière', host: 'ville.localhost' };
// What the second test creates through the form.
const BREST = {
  slug: 'brest',
  name: 'Brest Métropole',
  host: 'brest.localhost',
  locales: ['fr', 'en'], // fr is ticked by default, and first: the default language
  modules: ['pages', 'blog'],
  theme: 'civic',
  color: '#00665e',
  description: 'Donnez votre avis sur les projets de la métropole : rade, tramway et quartiers.',
  logo: path.join(REPO, 'deploy/demo/logos/campus.svg'),
};

// The console's words (provisioning/templates/locales), in the two languages it speaks.
const T = {
  fr: {
    signIn: 'Se connecter',
    codeTitle: 'Deuxième facteur',
    setupTitle: 'Activer votre compte',
    tenants: 'Institutions',
    newTenant: 'Nouvelle institution',
    done: 'terminée',
    active: 'active',
    suspended: 'suspendue',
    suspend: 'Suspendre',
    resume: 'Réactiver',
    notFound: 'Introuvable',
    maintenance: 'Site en maintenance',
  },
  en: {
    signIn: 'Sign in',
    tenants: 'Institutions',
    notFound: 'Not found',
    done: 'done',
  },
};

/** @type {import('playwright-core').Browser} */
let browser;
let closeBrowser;

// What the tests hand on to the next ones.
const shared = {
  /** The account's TOTP key (bytes), once activated. */
  totpKey: null,
  /** The last TOTP step the server accepted for the account: it refuses that one and any before. */
  lastStep: null,
  /** Cookies of a session past both factors (playwright storage state). */
  signedIn: null,
  /** Path of the job page of the institution created through the form. */
  jobPath: null,
};

before(async () => {
  for (const [name, value, pattern] of [
    ['CIVITAS_TEST_HTTP_PORT', HTTP_PORT, /^\d+$/],
    ['CIVITAS_TEST_PROV_PORT', PROV_PORT, /^\d+$/],
    ['CIVITAS_TEST_SETUP_PATH', SETUP_PATH, /^\/setup\/[^/?#]+$/],
    ['CIVITAS_TEST_STAFF_EMAIL', STAFF_EMAIL, /^[^@\s]+@[^@\s]+$/],
  ]) {
    assert.match(value ?? '', pattern, `${name} must be set: run these tests through tests/browser/run.sh`);
  }
  ({ browser, close: closeBrowser } = await launchChromium());
  await mkdir(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await closeBrowser?.();
});

/** A console address: the provisioning listener answers on any host name. */
function consoleUrl(pathAndQuery = '/') {
  return `http://127.0.0.1:${PROV_PORT}${pathAndQuery}`;
}

function siteUrl(host, pathAndQuery = '/') {
  return `http://${host}:${HTTP_PORT}${pathAndQuery}`;
}

/** A fresh context; the console speaks French unless the browser prefers English. */
function newContext(options = {}) {
  return newContextIn(browser, 'fr-FR', options);
}

/** A context holding the session the second test opened. */
async function signedInContext(options = {}) {
  assert.ok(shared.signedIn, 'no signed-in session to reuse: the account activation test failed or did not run');
  return newContext({ storageState: shared.signedIn, ...options });
}

// --- TOTP (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits), as an authenticator app does ---

const STEP_SECONDS = 30;

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of text.replace(/[\s=]/g, '').toUpperCase()) {
    const value = alphabet.indexOf(ch);
    if (value < 0) throw new Error(`not base32: ${JSON.stringify(ch)} in ${JSON.stringify(text)}`);
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function totp(key, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

function currentStep() {
  return Math.floor(Date.now() / 1000 / STEP_SECONDS);
}

/**
 * A code the server takes now. It accepts the steps now-1, now and now+1, each once:
 * never a step at or before the last one it accepted. So, after the activation, each
 * sign-in takes the next unused step, waiting for the clock when it would be past now+1.
 */
async function nextCode() {
  for (;;) {
    const now = currentStep();
    const step = shared.lastStep === null ? now : Math.max(shared.lastStep + 1, now);
    if (step <= now + 1) return { step, code: totp(shared.totpKey, step) };
    await sleep((now + 1) * STEP_SECONDS * 1000 - Date.now() + 250);
  }
}

/**
 * The code for the activation. Taking the previous step when it is still safely inside
 * the window (more than 10 s before the clock moves on) leaves the current and the next
 * step to two sign-ins in a row, without waiting for the clock.
 */
function activationCode(key) {
  const now = currentStep();
  const msLeft = (now + 1) * STEP_SECONDS * 1000 - Date.now();
  const step = msLeft > 10_000 ? now - 1 : now;
  return { step, code: totp(key, step) };
}

// --- page helpers ---

/** The redirects that led to `response`, first request first. */
function redirectChain(response) {
  const chain = [];
  for (let req = response.request().redirectedFrom(); req; req = req.redirectedFrom()) chain.unshift(req);
  return chain;
}

/** Clicks the submit button of `form` (a locator) and waits for the page it leads to. */
async function submit(page, form) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type="submit"]').click()]);
}

/** `N institution(s)` on the overview. */
async function institutionCount(page) {
  const text = await page.locator('main p', { hasText: 'institution(s)' }).innerText();
  const m = text.trim().match(/^(\d+) institution\(s\)/);
  assert.ok(m, `unexpected count line: ${JSON.stringify(text)}`);
  return Number(m[1]);
}

/**
 * The status shown by a job page, once the job is over ("terminée" or "en échec"),
 * across the reloads the page does by itself; throws after `ms`.
 */
async function jobStatusWhenFinished(page, ms) {
  const deadline = Date.now() + ms;
  let seen = '';
  while (Date.now() < deadline) {
    // A reload may replace the document between two calls: read it in one go.
    seen = await page
      .evaluate(() => (document.readyState === 'complete' ? document.querySelector('.job-status strong')?.textContent.trim() : null))
      .catch(() => null);
    if (seen && !['en attente', 'en cours'].includes(seen)) return seen;
    await sleep(200);
  }
  throw new Error(`the job was not over after ${ms} ms (last seen: ${JSON.stringify(seen)})`);
}

/** The status of `target`, loaded in `page`, retried every 100 ms until `wanted` or `ms` ran out. */
async function statusWithin(page, target, wanted, ms) {
  const deadline = Date.now() + ms;
  let status;
  for (;;) {
    status = (await page.goto(target))?.status();
    if (status === wanted || Date.now() >= deadline) return status;
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------

test('the TOTP codes these tests compute match the RFC 6238 test vector (self-check)', () => {
  // RFC 6238, appendix B: the SHA-1 key "12345678901234567890" at T = 59 s gives
  // 94287082 in 8 digits, so 287082 in 6; and at T = 1111111109 s, 07081804 → 081804.
  const key = base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  assert.equal(key.toString('latin1'), '12345678901234567890');
  assert.equal(totp(key, Math.floor(59 / STEP_SECONDS)), '287082');
  assert.equal(totp(key, Math.floor(1111111109 / STEP_SECONDS)), '081804');
});

test('the console refuses every page without signing in: /tenants, /tenants/new, /audit and the others redirect to /sign-in', async () => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    for (const p of ['/tenants', '/tenants/new', '/audit', `/tenants/${VILLE.slug}`, `/jobs/${randomUUID()}`, '/']) {
      const res = await page.goto(consoleUrl(p));
      assert.equal(page.url(), consoleUrl('/sign-in'), `${p} ends on the sign-in page`);
      assert.equal(res.status(), 200, `${p}: the sign-in page`);
      const chain = redirectChain(res);
      assert.equal(chain[0]?.url(), consoleUrl(p), `${p}: the first request`);
      for (const req of chain) {
        assert.equal((await req.response()).status(), 303, `${p}: ${req.url()} redirects with 303`);
      }
      assert.deepEqual(await page.locator('h1').allInnerTexts(), [T.fr.signIn], `${p}: the sign-in form`);
      assert.equal(await page.locator('#email').count(), 1);
      assert.equal(await page.locator('header nav, .who').count(), 0, `${p}: no console menu before signing in`);
      assert.ok(!(await page.content()).includes(VILLE.name), `${p}: names an institution`);
    }

    // Nor does a form sent without a session change anything.
    for (const [p, form] of [
      [`/tenants/${VILLE.slug}/suspend`, { csrf: 'forged' }],
      ['/tenants/new', { csrf: 'forged', slug: 'intrus', name: 'Intrus', hosts: 'intrus.localhost' }],
    ]) {
      const res = await context.request.post(consoleUrl(p), { form, maxRedirects: 0 });
      assert.equal(res.status(), 303, `POST ${p} without a session`);
      assert.equal(res.headers().location, '/sign-in', `POST ${p} sends to the sign-in page`);
    }
    const ville = await page.goto(siteUrl(VILLE.host));
    assert.equal(ville.status(), 200, `${VILLE.host} is still served`);
  } finally {
    await context.close();
  }
});

test('a staff member activates the account from the setup link, signs in with password and TOTP, creates an institution with a logo through the form, follows the job to completion, sees it served on its host with its name and logo, then suspends it and its host answers 503', async (t) => {
  const context = await newContext();
  try {
    const page = await context.newPage();

    // --- activation: password twice, and the TOTP key into the "app" ---
    let res = await page.goto(consoleUrl(SETUP_PATH));
    assert.equal(res.status(), 200, 'the setup link opens the setup page');
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [T.fr.setupTitle]);
    assert.equal(await page.locator('main p strong').first().innerText(), STAFF_EMAIL, 'the page names the account');
    // Shown in groups of four for typing; the hidden field holds it whole.
    const shownKey = (await page.locator('code.secret').innerText()).replace(/\s+/g, '');
    assert.match(shownKey, /^[A-Z2-7]+=*$/, 'the key is shown in base32');
    assert.equal(await page.locator('.qr svg[role="img"]').count(), 1, 'a QR code for the authenticator app');
    assert.equal(await page.locator('input[type="hidden"][name="secret"]').inputValue(), shownKey);
    const key = base32Decode(shownKey);
    assert.ok(key.length >= 16, `a TOTP key of ${key.length} bytes`);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-setup.png'), fullPage: true });

    const setupForm = page.locator('main form');
    await page.fill('#password', PASSWORD);
    await page.fill('#password2', PASSWORD);
    const activation = activationCode(key);
    await page.fill('#code', activation.code);
    await submit(page, setupForm);
    assert.equal(
      page.url(),
      consoleUrl('/sign-in'),
      `the account is activated and the browser sent to the sign-in page (error shown: ${await page.locator('.error').allInnerTexts()})`,
    );
    shared.totpKey = key;
    shared.lastStep = activation.step;

    // The link worked once.
    const again = await context.newPage();
    assert.equal((await again.goto(consoleUrl(SETUP_PATH))).status(), 404, 'the setup link is spent');
    assert.deepEqual(await again.locator('h1').allInnerTexts(), [T.fr.notFound]);
    await again.close();

    // --- sign-in: password, then the code of a step the server has not seen yet ---
    await page.fill('#email', STAFF_EMAIL);
    await page.fill('#password', PASSWORD);
    await submit(page, page.locator('main form'));
    assert.equal(page.url(), consoleUrl('/sign-in/code'), 'the password leads to the second factor');
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [T.fr.codeTitle]);
    // The activation's code is refused here: each step works once.
    await page.fill('#code', activation.code);
    await submit(page, page.locator('main form'));
    assert.equal(page.url(), consoleUrl('/sign-in/code'), 'the activation code does not sign in a second time');
    assert.equal(await page.locator('.error[role="alert"]').count(), 1, 'the refusal is said');
    const { step, code } = await nextCode();
    await page.fill('#code', code);
    await submit(page, page.locator('main form'));
    assert.equal(page.url(), consoleUrl('/tenants'), 'password and code lead to the institutions');
    shared.lastStep = step;
    shared.signedIn = await context.storageState();
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [T.fr.tenants]);
    assert.equal(await page.locator('header .who').innerText(), STAFF_EMAIL, 'the header names who is signed in');
    const before = await institutionCount(page);
    assert.ok(before >= 2, `the tenants of run.sh are listed (${before})`);

    // --- the form, reached from the menu ---
    await Promise.all([page.waitForNavigation(), page.click(`header nav a[href="/tenants/new"]`)]);
    assert.equal(page.url(), consoleUrl('/tenants/new'));
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [T.fr.newTenant]);
    await page.fill('#slug', BREST.slug);
    await page.fill('#name', BREST.name);
    await page.fill('#hosts', BREST.host);
    for (const l of ['fr', 'en']) await page.setChecked(`input[name="locales"][value="${l}"]`, BREST.locales.includes(l));
    for (const m of ['pages', 'blog']) await page.setChecked(`input[name="modules"][value="${m}"]`, BREST.modules.includes(m));
    await page.selectOption('#theme', BREST.theme);
    await page.fill('#color', BREST.color);
    await page.fill('#description', BREST.description);
    await page.setInputFiles('#logo', BREST.logo);
    assert.equal(await page.locator('#color').inputValue(), BREST.color);

    // --- the job page, which reloads itself until the job is done ---
    const jobLoads = [];
    page.on('response', (r) => {
      if (r.request().isNavigationRequest() && /^\/jobs\//.test(new URL(r.url()).pathname)) jobLoads.push(r);
    });
    await submit(page, page.locator('main form'));
    const jobUrl = new URL(page.url());
    assert.match(
      jobUrl.pathname,
      /^\/jobs\/[0-9a-f-]{36}$/,
      `the form leads to a job page (error shown: ${await page.locator('.error').allInnerTexts()})`,
    );
    shared.jobPath = jobUrl.pathname;
    const first = jobLoads[0];
    assert.ok(first, 'the job page was loaded');
    const firstStatus = (await page.locator('.job-status strong').innerText()).trim();
    if (first.headers().refresh !== undefined) {
      assert.equal(first.headers().refresh, '2', 'a running job page asks the browser to reload it every 2 s');
      await page.screenshot({ path: path.join(SCREENSHOTS, 'console-job-running.png'), fullPage: true });
    }
    const finalStatus = await jobStatusWhenFinished(page, 60_000);
    assert.equal(finalStatus, T.fr.done, `the job ended "${finalStatus}": ${await page.locator('.error-text').allInnerTexts()}`);
    t.diagnostic(`job ${shared.jobPath}: first seen "${firstStatus}", done after ${jobLoads.length} load(s) of its page`);
    if (first.headers().refresh !== undefined) {
      assert.ok(jobLoads.length >= 2, 'the page reloaded itself until the job was done');
    }
    const last = jobLoads[jobLoads.length - 1];
    assert.equal(last.headers().refresh, undefined, 'a finished job page does not reload any more');
    assert.equal(await page.locator('progress').getAttribute('value'), '100');
    assert.equal(await page.locator(`main h1 a[href="/tenants/${BREST.slug}"]`).innerText(), BREST.slug);
    const loadsWhenDone = jobLoads.length;
    await sleep(2_500);
    assert.equal(jobLoads.length, loadsWhenDone, 'no reload after the job is done');

    // --- the new institution on its own host ---
    const site = await context.newPage();
    const siteStatus = await statusWithin(site, siteUrl(BREST.host), 200, 5_000);
    assert.equal(siteStatus, 200, `${BREST.host} is served`);
    assert.deepEqual(await site.locator('h1').allInnerTexts(), [BREST.name], `${BREST.host}: its name as the h1`);
    assert.equal(await site.locator('.brand-name').innerText(), BREST.name);
    assert.equal(await site.getAttribute('html', 'lang'), 'fr', 'the first language ticked is the default');
    assert.equal(await site.getAttribute('body', 'class'), `theme-${BREST.theme}`);
    const primary = await site.evaluate(() =>
      getComputedStyle(document.documentElement).getPropertyValue('--c-primary').trim().toLowerCase(),
    );
    assert.equal(primary, BREST.color, 'the colour chosen in the form');
    const logo = await logoState(site);
    assert.ok(logo.naturalWidth > 0 && logo.width > 0, `${BREST.host}: the logo did not load (${JSON.stringify(logo)})`);
    const served = await site.evaluate(async (src) => {
      const r = await fetch(src);
      return { type: r.headers.get('content-type'), body: await r.text() };
    }, logo.src);
    assert.match(served.type ?? '', /^image\/svg\+xml/);
    assert.equal(served.body, await readFile(BREST.logo, 'utf8'), 'the logo served is the file uploaded');
    assert.equal(await site.locator('nav a[href="/blog"]').count() > 0, true, 'the blog module is on');

    // --- the overview counts it; the search finds it ---
    await page.goto(consoleUrl('/tenants'));
    assert.equal(await institutionCount(page), before + 1, 'one more institution');
    await page.fill('#q', BREST.slug);
    await page.selectOption('#status', 'active');
    await submit(page, page.locator('main form.filters'));
    assert.equal(page.url(), consoleUrl(`/tenants?q=${BREST.slug}&status=active`));
    assert.equal(await institutionCount(page), 1);
    assert.deepEqual(await page.locator('tbody tr td:first-child').allInnerTexts(), [BREST.slug]);

    // --- suspension ---
    await Promise.all([page.waitForNavigation(), page.click(`tbody a[href="/tenants/${BREST.slug}"]`)]);
    assert.equal(await page.locator('h1 .status').innerText(), T.fr.active);
    const suspend = page.locator('main form', { has: page.locator('button', { hasText: T.fr.suspend }) });
    assert.equal(await suspend.locator('input[type="hidden"][name="csrf"]').count(), 1, 'the form carries its CSRF token');
    await submit(page, suspend);
    const suspendedAt = Date.now();
    assert.equal(page.url(), consoleUrl(`/tenants/${BREST.slug}`), 'back on the institution page');
    assert.equal(await page.locator('h1 .status').innerText(), T.fr.suspended);
    assert.equal(await page.locator('main button', { hasText: T.fr.resume }).count(), 1, 'it can be resumed');

    const suspendedStatus = await statusWithin(site, siteUrl(BREST.host), 503, 2_000);
    assert.equal(suspendedStatus, 503, `${BREST.host} answers 503 within 2 s of the suspension`);
    t.diagnostic(`${BREST.host} answered 503 ${Date.now() - suspendedAt} ms after the suspension`);
    assert.deepEqual(await site.locator('h1').allInnerTexts(), [T.fr.maintenance], 'the maintenance page');
    assert.equal(
      (await statusWithin(site, siteUrl(VILLE.host), 200, 0)),
      200,
      `${VILLE.host} is still served`,
    );
  } finally {
    await context.close();
  }
});

test('the console pages have no console error, no uncaught exception, no CSP violation, no failed subresource, and their texts contrast at least 4.5:1', async (t) => {
  const failures = [];
  const lowest = [];
  const problems = [];
  const measure = async (page, label) => {
    const report = await contrastReport(page);
    assert.ok(report.some((r) => r.role === 'text'), `${label}: no text measured`);
    for (const r of report) if (r.ratio < 4.5) failures.push({ page: label, ...r });
    const min = report.reduce((m, r) => (r.ratio < m.ratio ? r : m));
    lowest.push(`${label}: lowest ${min.ratio}:1 for ${min.element} "${min.text}" (${min.color} on ${min.background})`);
  };

  for (const lang of ['fr', 'en']) {
    const locale = lang === 'fr' ? 'fr-FR' : 'en-GB';

    // Before signing in: the sign-in page, the second factor, a spent setup link.
    const anonymous = await newContext({ locale });
    try {
      const watched = await watchPage(anonymous);
      const expected404s = [];
      assert.equal(await visit(watched, consoleUrl('/sign-in')), 200);
      assert.equal(await watched.page.getAttribute('html', 'lang'), lang);
      assert.deepEqual(await watched.page.locator('h1').allInnerTexts(), [T[lang].signIn]);
      await measure(watched.page, `${lang} /sign-in`);
      await watched.page.fill('#email', STAFF_EMAIL);
      await watched.page.fill('#password', PASSWORD);
      await submit(watched.page, watched.page.locator('main form'));
      assert.equal(watched.page.url(), consoleUrl('/sign-in/code'));
      assert.equal(await visit(watched, consoleUrl('/sign-in/code')), 200);
      await measure(watched.page, `${lang} /sign-in/code`);
      const spent = consoleUrl(SETUP_PATH);
      assert.equal(await visit(watched, spent), 404, 'the spent setup link');
      expected404s.push(spent);
      await measure(watched.page, `${lang} ${SETUP_PATH} (spent)`);
      await watched.page.waitForTimeout(500);
      problems.push(...unexpectedProblems(watched.problems, expected404s));
    } finally {
      await anonymous.close();
    }

    // Signed in.
    const context = await signedInContext({ locale });
    try {
      const watched = await watchPage(context);
      const visits = [
        ['/tenants', 200],
        [`/tenants?q=${BREST.slug}&status=suspended`, 200],
        ['/tenants/new', 200],
        [`/tenants/${VILLE.slug}`, 200],
        [`/tenants/${BREST.slug}`, 200],
        ...(shared.jobPath ? [[shared.jobPath, 200]] : []),
        ['/audit', 200],
        ['/tenants/personne', 404],
        [`/jobs/${randomUUID()}`, 404],
      ];
      const expected404s = [];
      for (const [p, expected] of visits) {
        const target = consoleUrl(p);
        assert.equal(await visit(watched, target), expected, `${lang} ${p}: status`);
        assert.equal(watched.page.url(), target, `${lang} ${p}: not redirected (is the session still valid?)`);
        assert.equal(await watched.page.getAttribute('html', 'lang'), lang, `${lang} ${p}: html[lang]`);
        if (expected === 404) {
          expected404s.push(target);
          assert.deepEqual(await watched.page.locator('h1').allInnerTexts(), [T[lang].notFound]);
        }
        await measure(watched.page, `${lang} ${p}`);
      }
      await watched.page.waitForTimeout(1_000); // late messages of the last page
      problems.push(...unexpectedProblems(watched.problems, expected404s));
    } finally {
      await context.close();
    }
  }
  for (const line of lowest) t.diagnostic(line);
  assert.deepEqual(problems, [], `problems:\n${problems.map((p) => JSON.stringify(p)).join('\n')}`);
  assert.deepEqual(failures, [], `texts below 4.5:1:\n${failures.map((f) => JSON.stringify(f)).join('\n')}`);
});

test('a staff member signs in with the keyboard alone: Tab to each field, type, Enter', async () => {
  assert.ok(shared.totpKey, 'the account was not activated: the activation test failed or did not run');
  const context = await newContext();
  try {
    const page = await context.newPage();
    await page.goto(consoleUrl('/sign-in'));
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        return {
          id: el.id,
          tag: el.tagName,
          cls: el.className,
          outline: `${style.outlineStyle} ${style.outlineWidth}`,
        };
      });
    const assertRing = (el) => {
      const [style, width] = el.outline.split(' ');
      assert.ok(style !== 'none' && parseFloat(width) >= 2, `no visible focus ring on ${el.tag}#${el.id}: ${el.outline}`);
    };

    await page.keyboard.press('Tab');
    const skip = await focused();
    assert.equal(skip.cls, 'skip-link', `the first Tab focuses the skip link (got ${JSON.stringify(skip)})`);
    const presses = await tabUntil(page, '#email', 5);
    assert.ok(presses <= 2, `the email field comes right after the header's link (${presses + 1} presses of Tab)`);
    assertRing(await focused());
    await page.keyboard.type(STAFF_EMAIL);
    await page.keyboard.press('Tab');
    const pw = await focused();
    assert.equal(pw.id, 'password', 'Tab goes from the email to the password');
    assertRing(pw);
    await page.keyboard.type(PASSWORD);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
    assert.equal(page.url(), consoleUrl('/sign-in/code'), 'Enter in the password field sends the form');

    // The code field is focused on arrival (autofocus), else one Tab away.
    if ((await focused()).id !== 'code') await tabUntil(page, '#code', 5);
    const { step, code } = await nextCode();
    await page.keyboard.type(code);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
    assert.equal(
      page.url(),
      consoleUrl('/tenants'),
      `Enter in the code field signs in (error shown: ${await page.locator('.error').allInnerTexts()})`,
    );
    shared.lastStep = step;
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [T.fr.tenants]);
    assert.equal(await page.locator('header .who').innerText(), STAFF_EMAIL);
  } finally {
    await context.close();
  }
});

test('full-page screenshots of the console pages are saved in tests/browser/screenshots', async (t) => {
  const shots = [
    { file: 'console-sign-in.png', path: '/sign-in', anonymous: true },
    { file: 'console-tenants.png', path: '/tenants' },
    { file: 'console-new-tenant.png', path: '/tenants/new' },
    { file: 'console-job.png', path: shared.jobPath },
    { file: 'console-tenant.png', path: `/tenants/${BREST.slug}` },
    { file: 'console-audit.png', path: '/audit' },
    { file: 'console-tenants-en.png', path: '/tenants', locale: 'en-GB' },
    { file: 'console-tenants-mobile.png', path: '/tenants', mobile: true },
    { file: 'console-new-tenant-mobile.png', path: '/tenants/new', mobile: true },
  ];
  assert.ok(shared.jobPath, 'no job page: the creation test failed or did not run');
  for (const shot of shots) {
    const viewport = shot.mobile ? { width: 390, height: 844 } : { width: 1280, height: 800 };
    const options = { viewport, ...(shot.locale ? { locale: shot.locale } : {}) };
    const context = shot.anonymous ? await newContext(options) : await signedInContext(options);
    try {
      const page = await context.newPage();
      const res = await page.goto(consoleUrl(shot.path));
      assert.equal(res.status(), 200, `${shot.file}: status`);
      assert.equal(page.url(), consoleUrl(shot.path), `${shot.file}: not redirected`);
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
