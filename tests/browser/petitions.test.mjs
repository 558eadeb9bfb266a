// Signing a petition in a real browser (issue 6): on senat.localhost (created by
// run.sh with one open petition), a person finds the petition with the keyboard,
// reaches "Signer avec FranceConnect" with Tab, signs in at the FranceConnect-like
// provider (tests/oidc) and lands back on the petition, whose notice says "signature
// enregistrée le <date>";
// the petition counts one signature; signing again says so and adds nothing. Each
// page has no console error, no CSP violation, and texts contrasting at least 4.5:1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  SCREENSHOTS,
  contrastReport,
  launchChromium,
  newContextIn,
  tabUntil,
  unexpectedProblems,
  watchPage,
} from './helpers.mjs';

const HTTP_PORT = process.env.CIVITAS_TEST_HTTP_PORT;
const PROV_PORT = process.env.CIVITAS_TEST_PROV_PORT;
const API_TOKEN = process.env.CIVITAS_TEST_API_TOKEN;
const ISSUER = process.env.CIVITAS_TEST_OIDC_ISSUER;
const OIDC_CONFIG = process.env.CIVITAS_TEST_OIDC_CONFIG;

const SENAT = { slug: 'senat', host: 'senat.localhost' };
const PETITION = { id: 1, title: 'Retransmettre en direct toutes les séances publiques' };
// The site's words (themes/default/locales/petitions.fr.toml) and the provider's.
const T = {
  listTitle: 'Pétitions',
  signButton: 'Signer avec FranceConnect',
  signedText: (date) => `Merci : votre signature est enregistrée le ${date}.`,
  alreadyText: (date) => `Vous avez déjà signé cette pétition le ${date}. Rien n'a été ajouté : chaque personne signe une seule fois.`,
  youSigned: (date) => `Vous avez signé cette pétition le ${date}.`,
  providerSubmit: 'Se connecter',
};

/** @type {import('playwright-core').Browser} */
let browser;
let closeBrowser;

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
  ({ browser, close: closeBrowser } = await launchChromium());
  await mkdir(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await closeBrowser?.();
});

const siteUrl = (p) => `http://${SENAT.host}:${HTTP_PORT}${p}`;
const words = (text) => text.replace(/\s+/g, ' ').trim();

/** Runs `action` and waits until the page's URL satisfies `matches`, loaded. */
async function arrive(page, matches, action, what) {
  try {
    await Promise.all([page.waitForURL(matches, { waitUntil: 'load' }), action()]);
  } catch (err) {
    const body = await page.locator('body').innerText().catch(() => '(no body)');
    throw new Error(`${what}: stuck at ${page.url()} (${err.message.split('\n')[0]}): ${words(body).slice(0, 300)}`);
  }
}

/** Texts of the page now shown under 4.5:1, into `failures`; its CSP violations too. */
async function contrastOf(page, label, failures, watched) {
  for (const v of await page.evaluate(() => window.__cspViolations ?? [])) {
    watched.problems.push({ page: label, kind: 'CSP violation', ...v });
  }
  const report = await contrastReport(page);
  assert.ok(report.some((r) => r.role === 'text'), `${label}: no text measured`);
  for (const r of report) if (r.ratio < 4.5) failures.push({ page: label, ...r });
}

/** From the petition page: Tab to the FranceConnect button, Enter, Angela at the provider. */
async function signWithKeyboard(page, what) {
  const presses = await tabUntil(page, 'button.button-franceconnect', 60);
  assert.ok(presses > 0, `${what}: the FranceConnect button is reached with Tab`);
  await arrive(page, (u) => u.href.startsWith(`${ISSUER}/interaction/`), () => page.keyboard.press('Enter'), `${what}: Enter`);
  const radio = page.locator('input[type="radio"][name="login"][value="angela"]');
  assert.equal(await radio.count(), 1, `${what}: the provider offers angela`);
  await radio.check();
  await arrive(
    page,
    // The signature recorded, the answer is the petition's page with its notice.
    (u) => u.pathname === `/petitions/${PETITION.id}` && u.searchParams.has('notice'),
    () => page.getByRole('button', { name: T.providerSubmit }).click(),
    `${what}: back from the provider`,
  );
}

test('on senat.localhost, a person finds a petition with the keyboard, signs it through FranceConnect, and a second try adds nothing', async () => {
  const config = JSON.parse(await readFile(OIDC_CONFIG, 'utf8'));
  const client = config.clients.find((c) => c.client_id === `civitas-${SENAT.slug}`);
  assert.ok(client, 'run.sh made a provider client for senat');
  const put = await fetch(`http://127.0.0.1:${PROV_PORT}/api/v1/tenants/${SENAT.slug}/identity-providers/fc`, {
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
  assert.equal(put.status, 200, await put.text());

  const context = await newContextIn(browser, 'fr-FR');
  const failures = [];
  try {
    const watched = await watchPage(context);
    const { page } = watched;

    // The list, then the petition, with the keyboard.
    watched.current = siteUrl('/petitions');
    assert.equal((await page.goto(watched.current, { waitUntil: 'load' })).status(), 200);
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [T.listTitle]);
    await contrastOf(page, '/petitions', failures, watched);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'senat-petitions.png'), fullPage: true });
    await tabUntil(page, `a[href="/petitions/${PETITION.id}"]`, 60);
    await arrive(page, (u) => u.pathname === `/petitions/${PETITION.id}`, () => page.keyboard.press('Enter'), 'Enter on the petition');
    watched.current = page.url();
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [PETITION.title]);
    assert.equal(words(await page.locator('.petition-count').innerText()), '0');
    const button = page.locator('button.button-franceconnect');
    assert.equal(words(await button.innerText()), T.signButton);
    const form = page.locator('form', { has: button });
    assert.equal(await form.getAttribute('action'), '/auth/fc/anonymous');
    assert.equal(await form.locator('input[name="purpose"]').inputValue(), `petition:${PETITION.id}`);
    assert.equal(await page.locator('.fc-help a').count(), 1, "a “Qu'est-ce que FranceConnect ?” link beside the button");
    await contrastOf(page, `/petitions/${PETITION.id}`, failures, watched);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'senat-petition.png'), fullPage: true });

    // Signing: only the subject is asked for; the answer gives the day.
    const asked = [];
    page.on('request', (r) => {
      if (r.isNavigationRequest() && r.url().startsWith(`${ISSUER}/auth?`)) asked.push(new URL(r.url()));
    });
    await signWithKeyboard(page, 'first signature');
    assert.equal(asked.length, 1, 'through the authorization endpoint once');
    assert.equal(asked[0].searchParams.get('scope'), 'openid', 'anonymous signing asks for the subject only');
    watched.current = page.url();
    assert.deepEqual(await page.locator('h1').allInnerTexts(), [PETITION.title]);
    const today = new Date().toISOString().slice(0, 10).split('-').reverse().join('/');
    const notice = words(await page.locator('main > .notice[role="status"]').innerText());
    assert.ok(notice.startsWith(T.signedText(today)), notice);
    assert.ok(notice.includes('seulement une empreinte chiffrée'), `the notice says what is kept: ${notice}`);
    assert.equal(words(await page.locator('#signatures .notice[role="status"]').innerText()), T.youSigned(today));
    assert.equal(words(await page.locator('.petition-count').innerText()), '1');
    // Reloading records nothing and says the same.
    await page.reload({ waitUntil: 'load' });
    assert.equal(words(await page.locator('.petition-count').innerText()), '1');
    assert.ok(words(await page.locator('main > .notice[role="status"]').innerText()).startsWith(T.signedText(today)));
    assert.equal(await page.locator('header.site-header a[href^="/sign-in"]').count(), 1, 'signing opened no session');
    await contrastOf(page, 'the signed page', failures, watched);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'senat-signed.png'), fullPage: true });

    // Again: recognised, nothing added.
    watched.current = siteUrl(`/petitions/${PETITION.id}`);
    await page.goto(watched.current, { waitUntil: 'load' });
    assert.equal(words(await page.locator('.petition-count').innerText()), '1');
    await signWithKeyboard(page, 'second try');
    assert.equal(words(await page.locator('main > .notice[role="status"]').innerText()), T.alreadyText(today));
    assert.equal(words(await page.locator('.petition-count').innerText()), '1');

    const problems = unexpectedProblems(watched.problems, []).filter((p) => !p.url?.startsWith(new URL(ISSUER).origin));
    assert.deepEqual(problems, [], 'no console error, uncaught exception, CSP violation or failed subresource');
    assert.deepEqual(failures, [], 'every text contrasts at least 4.5:1');
  } finally {
    await context.close();
  }
});
