// Sign-in through FranceConnect on the tenant sites, in a real browser: headless
// Chromium driven by playwright-core, against the FranceConnect-like provider of
// tests/oidc. Run through run.sh, which starts `civitas serve` and the provider (one
// client per tenant, civitas-<slug>, written to CIVITAS_TEST_OIDC_CONFIG), issues an
// API token and exports CIVITAS_TEST_HTTP_PORT, CIVITAS_TEST_PROV_PORT,
// CIVITAS_TEST_API_TOKEN, CIVITAS_TEST_OIDC_ISSUER and CIVITAS_TEST_OIDC_CONFIG.
//
// The tests below run in order and build on each other: the first sets up each
// tenant's provider "fc" through the provisioning API; the second signs a newcomer in
// on ville.localhost with the keyboard and signs her out; the third signs her in again
// (no welcome page the second time); the fourth shows the same person is someone else
// on campus.localhost.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  SCREENSHOTS,
  contrastReport,
  launchChromium,
  pngSize,
  tabUntil,
  unexpectedProblems,
  watchPage,
  newContextIn,
} from './helpers.mjs';

const HTTP_PORT = process.env.CIVITAS_TEST_HTTP_PORT;
const PROV_PORT = process.env.CIVITAS_TEST_PROV_PORT;
const API_TOKEN = process.env.CIVITAS_TEST_API_TOKEN;
const ISSUER = process.env.CIVITAS_TEST_OIDC_ISSUER;
const OIDC_CONFIG = process.env.CIVITAS_TEST_OIDC_CONFIG;

const KEY = 'fc';
// What run.sh creates.
const VILLE = { slug: 'ville', name: 'Ville de Lumière', host: 'ville.localhost', theme: 'default' };
const CAMPUS = { slug: 'campus', name: 'Campus Horizon', host: 'campus.localhost', theme: 'civic' };

// The sites' words (themes/default/locales), in the two languages they speak.
const T = {
  fr: {
    signInTitle: 'Connexion',
    fcButton: "S'identifier avec FranceConnect",
    fcWhat: "Qu'est-ce que FranceConnect ?",
    welcomeTitle: 'Bienvenue',
    welcomeButton: 'Créer mon compte',
    accountTitle: 'Mon compte',
    verified: 'Identité vérifiée par FranceConnect',
    signOut: 'Se déconnecter',
    signInLink: 'Se connecter',
    signedOut: 'Vous êtes déconnecté(e).',
  },
  en: {
    signInTitle: 'Sign in',
    fcButton: 'Sign in with FranceConnect',
    welcomeTitle: 'Welcome',
    welcomeButton: 'Create my account',
    accountTitle: 'My account',
    verified: 'Identity verified by FranceConnect',
  },
};
// The provider's login page (tests/oidc/provider.mjs).
const PROVIDER_SUBMIT = 'Se connecter';

const NICKNAME = 'Angèle';

/** @type {import('playwright-core').Browser} */
let browser;
let closeBrowser;
/** tests/oidc config run.sh wrote: the clients, by client_id. */
let clients;

// What the tests hand on to the next ones.
const shared = {
  /** Each tenant's provider is set up (the first test passed). */
  configured: false,
  /** Angela has an account on ville.localhost (the second test got that far). */
  villeAccount: false,
};

before(async () => {
  for (const [name, value, pattern] of [
    ['CIVITAS_TEST_HTTP_PORT', HTTP_PORT, /^\d+$/],
    ['CIVITAS_TEST_PROV_PORT', PROV_PORT, /^\d+$/],
    ['CIVITAS_TEST_API_TOKEN', API_TOKEN, /^cvt_[A-Za-z0-9_-]+$/],
    ['CIVITAS_TEST_OIDC_ISSUER', ISSUER, /^http:\/\/127\.0\.0\.1:\d+\/api\/v2$/],
    ['CIVITAS_TEST_OIDC_CONFIG', OIDC_CONFIG, /\.json$/],
  ]) {
    assert.match(value ?? '', pattern, `${name} must be set: run these tests through tests/browser/run.sh`);
  }
  const config = JSON.parse(await readFile(OIDC_CONFIG, 'utf8'));
  clients = Object.fromEntries(config.clients.map((c) => [c.client_id, c]));
  ({ browser, close: closeBrowser } = await launchChromium());
  await mkdir(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await closeBrowser?.();
});

function siteUrl(host, pathAndQuery = '/') {
  return `http://${host}:${HTTP_PORT}${pathAndQuery}`;
}

function apiUrl(pathAndQuery) {
  return `http://127.0.0.1:${PROV_PORT}/api/v1${pathAndQuery}`;
}

function clientOf(tenant) {
  const c = clients[`civitas-${tenant.slug}`];
  assert.ok(c, `no client civitas-${tenant.slug} in ${OIDC_CONFIG}`);
  return c;
}

/** Text as a person reads it: runs of white space (line breaks of a flex column too) as one space. */
function squash(text) {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Main-frame navigations of `page`, redirects included, each as its URL: where the
 * browser went through on its way.
 */
function recordNavigations(page) {
  const urls = [];
  page.on('request', (req) => {
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) urls.push(req.url());
  });
  return urls;
}

/** Waits for the page to be at `target` (a URL, or a predicate on URL) once `action` is done. */
async function navigate(page, target, action, what) {
  const matches = typeof target === 'string' ? (u) => u.href === target : target;
  try {
    await Promise.all([page.waitForURL(matches, { waitUntil: 'load' }), action()]);
  } catch (err) {
    await page.waitForTimeout(500); // a blocked navigation reports its CSP violation a little later
    const body = await page.locator('body').innerText().catch(() => '(no body)');
    const csp = await page.evaluate(() => window.__cspViolations ?? []).catch(() => []);
    throw new Error(
      `${what}: stuck at ${page.url()} (${err.message.split('\n')[0]})` +
        (csp.length > 0 ? `\nCSP violations on that page: ${JSON.stringify(csp)}` : '') +
        `\npage text: ${squash(body).slice(0, 400)}`,
    );
  }
}

/**
 * What watchPage recorded, less what is expected here: the deliberate 422 of the
 * welcome form sent without the terms, and what the test provider's pages (not
 * Civitas's) load, such as Chromium's request for its /favicon.ico (404).
 */
function unexpected(problems, host) {
  const provider = new URL(ISSUER).origin;
  return unexpectedProblems(problems, []).filter((p) => {
    if (p.url?.startsWith(`${provider}/`)) return false;
    const welcome = siteUrl(host, '/auth/welcome');
    return !(p.kind === 'console error' && p.url === welcome && /status of 422/.test(p.text ?? ''));
  });
}

/** CSP violations the init script of watchPage saw on the page now shown. */
async function collectCsp(watched) {
  const csp = await watched.page.evaluate(() => window.__cspViolations ?? []);
  for (const v of csp) watched.problems.push({ page: watched.page.url(), kind: 'CSP violation', ...v });
}

async function screenshot(page, file) {
  await page.evaluate(() => document.fonts.ready);
  const target = path.join(SCREENSHOTS, file);
  await page.screenshot({ path: target, fullPage: true });
  const size = pngSize(await readFile(target));
  const viewport = page.viewportSize();
  assert.ok(size.width >= viewport.width && size.height >= viewport.height, `${file}: ${size.width}x${size.height}`);
}

/** Texts below 4.5:1 on the page now shown, into `failures`; the lowest into `lowest`. */
async function measureContrast(page, label, failures, lowest) {
  const report = await contrastReport(page);
  assert.ok(report.some((r) => r.role === 'text'), `${label}: no text measured`);
  for (const r of report) if (r.ratio < 4.5) failures.push({ page: label, ...r });
  const min = report.reduce((m, r) => (r.ratio < m.ratio ? r : m));
  lowest.push(`${label}: lowest ${min.ratio}:1 for ${min.element} "${min.text}" (${min.color} on ${min.background})`);
}

/** On the provider's login page: picks `person` (a `login` value) and sends the form. */
async function signInAtProvider(page, person, backTo, what) {
  assert.ok(page.url().startsWith(`${ISSUER}/interaction/`), `${what}: at the provider's login page (${page.url()})`);
  const radio = page.locator(`input[type="radio"][name="login"][value="${person}"]`);
  assert.equal(await radio.count(), 1, `${what}: the provider offers ${person}`);
  await radio.check();
  await navigate(page, backTo, () => page.getByRole('button', { name: PROVIDER_SUBMIT }).click(), `${what}: back from the provider`);
}

// ---------------------------------------------------------------------------------

test('the provisioning API sets up FranceConnect ("fc") on each tenant and never shows the client secret back', async () => {
  const unauthorized = await fetch(apiUrl(`/tenants/${VILLE.slug}/identity-providers/${KEY}`), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'franceconnect', issuer: ISSUER, client_id: 'x', client_secret: 'y' }),
  });
  assert.equal(unauthorized.status, 401, 'no token: 401');

  for (const tenant of [VILLE, CAMPUS]) {
    const client = clientOf(tenant);
    const res = await fetch(apiUrl(`/tenants/${tenant.slug}/identity-providers/${KEY}`), {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'franceconnect',
        label: 'FranceConnect',
        issuer: ISSUER,
        client_id: client.client_id,
        client_secret: client.client_secret,
        acr_values: 'eidas1',
        enabled: true,
      }),
    });
    const text = await res.text();
    assert.equal(res.status, 200, `PUT ${tenant.slug}/identity-providers/${KEY}: ${text}`);
    assert.ok(!text.includes(client.client_secret), 'the answer does not show the secret');
    const saved = JSON.parse(text).identity_provider;
    assert.deepEqual(
      {
        key: saved.key,
        kind: saved.kind,
        label: saved.label,
        issuer: saved.issuer,
        client_id: saved.client_id,
        acr_values: saved.acr_values,
        enabled: saved.enabled,
      },
      {
        key: KEY,
        kind: 'franceconnect',
        label: 'FranceConnect',
        issuer: ISSUER,
        client_id: client.client_id,
        acr_values: 'eidas1',
        enabled: true,
      },
    );
    assert.ok(saved.scopes.includes('openid'), `scopes ${saved.scopes}`);
    assert.equal('client_secret' in saved, false);

    const list = await fetch(apiUrl(`/tenants/${tenant.slug}/identity-providers`), {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    const listText = await list.text();
    assert.equal(list.status, 200, listText);
    assert.ok(!listText.includes(client.client_secret), 'the list does not show the secret');
    assert.deepEqual(
      JSON.parse(listText).identity_providers.map((p) => [p.key, p.client_id]),
      [[KEY, client.client_id]],
      `${tenant.slug}: its own provider only`,
    );
  }
  shared.configured = true;
});

test('on ville.localhost, a newcomer reaches the FranceConnect button with Tab, presses Enter, signs in at the provider, picks a nickname and comes back signed in; signing out goes through the provider', async (t) => {
  assert.ok(shared.configured, 'the providers are not set up: the first test failed');
  const context = await newContextIn(browser, 'fr-FR');
  const failures = [];
  const lowest = [];
  try {
    const watched = await watchPage(context);
    const { page } = watched;
    const navigations = recordNavigations(page);

    // --- the sign-in page and its FranceConnect button ---
    watched.current = siteUrl(VILLE.host, '/sign-in?next=/account');
    const res = await page.goto(watched.current, { waitUntil: 'load' });
    assert.equal(res.status(), 200, '/sign-in status');
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [T.fr.signInTitle]);
    const button = page.locator('button.button-franceconnect');
    assert.equal(await button.count(), 1, 'one FranceConnect button');
    assert.equal(squash(await button.innerText()), T.fr.fcButton);
    const form = page.locator('form', { has: button });
    assert.equal(await form.getAttribute('action'), `/auth/${KEY}/login`);
    assert.equal((await form.getAttribute('method'))?.toLowerCase(), 'post');
    assert.equal(await form.locator('input[type="hidden"][name="next"]').inputValue(), '/account');
    assert.equal(await form.locator('input[type="hidden"][name="csrf"]').count(), 1, 'the form carries its CSRF token');
    assert.equal(squash(await page.locator('.fc-help a').innerText()), T.fr.fcWhat);
    await page.waitForLoadState('networkidle');
    await collectCsp(watched);
    await measureContrast(page, 'ville /sign-in', failures, lowest);
    await screenshot(page, 'ville-sign-in-franceconnect.png');

    // --- keyboard: Tab to the button, which shows a focus ring; Enter starts the flow ---
    const presses = await tabUntil(page, 'button.button-franceconnect');
    t.diagnostic(`the FranceConnect button is reached with ${presses} presses of Tab`);
    const ring = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    assert.ok(ring.style !== 'none' && ring.width >= 2, `no visible focus ring on the FranceConnect button: ${JSON.stringify(ring)}`);
    await navigate(
      page,
      (u) => u.href.startsWith(`${ISSUER}/interaction/`),
      () => page.keyboard.press('Enter'),
      'Enter on the FranceConnect button',
    );
    const authorize = navigations.find((u) => u.startsWith(`${ISSUER}/auth?`));
    assert.ok(authorize, `the browser went through the provider's authorization endpoint: ${navigations.join(' → ')}`);
    const params = new URL(authorize).searchParams;
    assert.equal(params.get('client_id'), clientOf(VILLE).client_id, "ville's own client");
    assert.equal(params.get('redirect_uri'), siteUrl(VILLE.host, `/auth/${KEY}/callback`));
    assert.equal(params.get('acr_values'), 'eidas1');
    assert.equal(params.get('code_challenge_method'), 'S256');
    assert.ok((params.get('state') ?? '').length >= 32 && (params.get('nonce') ?? '').length >= 32, 'state and nonce of 32 characters or more');
    await screenshot(page, 'oidc-provider-login.png');

    // --- the provider: Angela signs in; back on the site, the welcome page ---
    await signInAtProvider(page, 'angela', siteUrl(VILLE.host, '/auth/welcome'), 'first sign-in');
    assert.ok(
      navigations.some((u) => u.startsWith(siteUrl(VILLE.host, `/auth/${KEY}/callback?`))),
      `through the callback: ${navigations.join(' → ')}`,
    );
    watched.current = page.url();
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [T.fr.welcomeTitle]);
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    // Not signed in yet: the header still offers to sign in.
    assert.equal(await page.locator('header a[href^="/sign-in"]').count(), 1, 'not signed in before the welcome form');
    await page.waitForLoadState('networkidle');
    await collectCsp(watched);
    await measureContrast(page, 'ville /auth/welcome', failures, lowest);
    await screenshot(page, 'ville-fc-welcome.png');

    // --- the welcome form: the terms are required, then the account is made ---
    await page.fill('#nickname', NICKNAME);
    await navigate(
      page,
      siteUrl(VILLE.host, '/auth/welcome'),
      () => page.getByRole('button', { name: T.fr.welcomeButton }).click(),
      'welcome form without the terms',
    );
    assert.equal(await page.locator('#terms').getAttribute('aria-invalid'), 'true', 'the terms box is flagged');
    assert.equal(await page.locator('#terms-error').count(), 1, 'with a message');
    assert.equal(await page.inputValue('#nickname'), NICKNAME, 'the nickname typed is kept');
    await page.check('#terms');
    await navigate(
      page,
      siteUrl(VILLE.host, '/account'),
      () => page.getByRole('button', { name: T.fr.welcomeButton }).click(),
      'welcome form',
    );
    shared.villeAccount = true;

    // --- signed in, on the account page ---
    watched.current = page.url();
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [T.fr.accountTitle]);
    const me = page.locator('header nav.account-nav a[href="/account"]');
    assert.equal(await me.innerText(), NICKNAME, 'the header names the person');
    assert.equal(await me.getAttribute('aria-current'), 'page');
    assert.equal(await page.locator('header').getByRole('button', { name: T.fr.signOut }).count(), 1, 'a sign-out button');
    assert.equal(await page.locator('header a[href^="/sign-in"]').count(), 0, 'no sign-in link any more');
    const verifications = squash(await page.locator('section[aria-labelledby="verifications-title"]').innerText());
    assert.ok(verifications.includes(T.fr.verified), `the account shows "${T.fr.verified}": ${verifications}`);
    assert.equal(await page.inputValue('#nickname'), NICKNAME);
    const cookies = await context.cookies(siteUrl(VILLE.host, '/'));
    const session = cookies.find((c) => c.name === 'civitas_session');
    assert.ok(session, `a session cookie: ${cookies.map((c) => c.name).join(', ')}`);
    assert.equal(session.httpOnly, true, 'the session cookie is HttpOnly');
    assert.equal(session.sameSite, 'Lax');
    await page.waitForLoadState('networkidle');
    await collectCsp(watched);
    await measureContrast(page, 'ville /account', failures, lowest);
    await screenshot(page, 'ville-fc-account.png');

    // --- signing out: through the provider's end-session endpoint and back ---
    navigations.length = 0;
    await navigate(
      page,
      siteUrl(VILLE.host, '/?notice=signed_out'),
      () => page.locator('header').getByRole('button', { name: T.fr.signOut }).click(),
      'sign-out',
    );
    const endSession = navigations.find((u) => u.startsWith(`${ISSUER}/session/end?`));
    assert.ok(endSession, `the browser went through the provider's end-session endpoint: ${navigations.join(' → ')}`);
    const logout = new URL(endSession).searchParams;
    assert.equal(logout.get('post_logout_redirect_uri'), siteUrl(VILLE.host, `/auth/${KEY}/signed-out`));
    assert.ok(logout.get('id_token_hint'), 'with the ID token as id_token_hint');
    assert.ok(
      navigations.some((u) => u.startsWith(siteUrl(VILLE.host, `/auth/${KEY}/signed-out?`))),
      `back through /auth/${KEY}/signed-out: ${navigations.join(' → ')}`,
    );
    watched.current = page.url();
    assert.equal(squash(await page.locator('header a[href^="/sign-in"]').innerText()), T.fr.signInLink, 'the header offers to sign in again');
    assert.equal(await page.locator('header a[href="/account"]').count(), 0, 'no account link');
    assert.equal(await page.locator('header').getByRole('button', { name: T.fr.signOut }).count(), 0, 'no sign-out button');
    const notice = page.locator('main .notice');
    if ((await notice.count()) > 0) assert.equal(squash(await notice.innerText()), T.fr.signedOut);
    else t.diagnostic('the home page shows no notice for ?notice=signed_out');
    const after = await context.cookies(siteUrl(VILLE.host, '/'));
    assert.equal(after.find((c) => c.name === 'civitas_session'), undefined, 'the session cookie is gone');
    // The account page now asks to sign in.
    const account = await page.goto(siteUrl(VILLE.host, '/account'));
    assert.notEqual(new URL(page.url()).pathname, '/account', `/account after signing out: ${account.status()} at ${page.url()}`);

    await page.waitForTimeout(500); // late messages
    await collectCsp(watched);
    const problems = unexpected(watched.problems, VILLE.host);
    assert.deepEqual(problems, [], `problems:\n${problems.map((p) => JSON.stringify(p)).join('\n')}`);
  } finally {
    await context.close();
  }
  for (const line of lowest) t.diagnostic(line);
  assert.deepEqual(failures, [], `texts below 4.5:1:\n${failures.map((f) => JSON.stringify(f)).join('\n')}`);
});

test('on ville.localhost, the same person signing in again with FranceConnect lands on her account at once, without the welcome page', async () => {
  assert.ok(shared.villeAccount, 'no account on ville.localhost: the previous test failed before making it');
  const context = await newContextIn(browser, 'fr-FR');
  try {
    const page = await context.newPage();
    const navigations = recordNavigations(page);
    await page.goto(siteUrl(VILLE.host, '/sign-in?next=/account'));
    await navigate(
      page,
      (u) => u.href.startsWith(`${ISSUER}/interaction/`),
      () => page.locator('button.button-franceconnect').click(),
      'click on the FranceConnect button',
    );
    await signInAtProvider(page, 'angela', siteUrl(VILLE.host, '/account'), 'second sign-in');
    assert.ok(!navigations.some((u) => u.includes('/auth/welcome')), `no welcome page: ${navigations.join(' → ')}`);
    assert.equal(await page.locator('header nav.account-nav a[href="/account"]').innerText(), NICKNAME, 'the same account');
  } finally {
    await context.close();
  }
});

test('on campus.localhost, the same person is a newcomer: her own account there, in English, verified by FranceConnect through campus\'s client', async (t) => {
  assert.ok(shared.configured, 'the providers are not set up: the first test failed');
  const context = await newContextIn(browser, 'en-GB');
  const failures = [];
  const lowest = [];
  try {
    const watched = await watchPage(context);
    const { page } = watched;
    const navigations = recordNavigations(page);
    watched.current = siteUrl(CAMPUS.host, '/sign-in?next=/account');
    assert.equal((await page.goto(watched.current)).status(), 200);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    const button = page.locator('button.button-franceconnect');
    assert.equal(squash(await button.innerText()), T.en.fcButton);
    await page.waitForLoadState('networkidle');
    await collectCsp(watched);
    await measureContrast(page, 'campus /sign-in', failures, lowest);
    await screenshot(page, 'campus-sign-in-franceconnect-en.png');

    await button.focus();
    await navigate(
      page,
      (u) => u.href.startsWith(`${ISSUER}/interaction/`),
      () => page.keyboard.press('Enter'),
      'Enter on the FranceConnect button',
    );
    const authorize = navigations.find((u) => u.startsWith(`${ISSUER}/auth?`));
    assert.equal(new URL(authorize).searchParams.get('client_id'), clientOf(CAMPUS).client_id, "campus's own client");
    await signInAtProvider(page, 'angela', siteUrl(CAMPUS.host, '/auth/welcome'), 'sign-in on campus');
    watched.current = page.url();
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [T.en.welcomeTitle], 'a newcomer here: the welcome page');
    await page.waitForLoadState('networkidle');
    await collectCsp(watched);
    await measureContrast(page, 'campus /auth/welcome', failures, lowest);
    await screenshot(page, 'campus-fc-welcome-en.png');

    // The same nickname is free here: another tenant, other accounts.
    await page.fill('#nickname', NICKNAME);
    await page.check('#terms');
    await navigate(
      page,
      siteUrl(CAMPUS.host, '/account'),
      () => page.getByRole('button', { name: T.en.welcomeButton }).click(),
      'welcome form on campus',
    );
    watched.current = page.url();
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [T.en.accountTitle]);
    const verifications = squash(await page.locator('section[aria-labelledby="verifications-title"]').innerText());
    assert.ok(verifications.includes(T.en.verified), `the account shows "${T.en.verified}": ${verifications}`);
    if ((await page.locator('header a[href="/account"]').count()) === 0) {
      t.diagnostic('the civic theme\'s header has no account links: a signed-in person sees neither her nickname nor a sign-out button');
    }
    await page.waitForLoadState('networkidle');
    await collectCsp(watched);
    await measureContrast(page, 'campus /account', failures, lowest);
    await screenshot(page, 'campus-fc-account-en.png');

    // Signed in on campus only: ville's site does not know this browser.
    await page.goto(siteUrl(VILLE.host, '/'));
    assert.equal(await page.locator('header a[href="/account"]').count(), 0, 'not signed in on ville.localhost');

    await page.waitForTimeout(500);
    const problems = unexpected(watched.problems, CAMPUS.host);
    assert.deepEqual(problems, [], `problems:\n${problems.map((p) => JSON.stringify(p)).join('\n')}`);
  } finally {
    await context.close();
  }
  for (const line of lowest) t.diagnostic(line);
  assert.deepEqual(failures, [], `texts below 4.5:1:\n${failures.map((f) => JSON.stringify(f)).join('\n')}`);
});
