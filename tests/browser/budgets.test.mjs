// A participatory budget in a real browser (issue 7), on quartiers.localhost (set up
// by run.sh: a budget of 100 000 €, at least 2 projects per ballot, five ballots
// already confirmed). Nadia reaches the ballot with the keyboard, ticks projects with
// the space bar and reads the running total, what remains and why "confirm" is not
// possible yet, as the page's script updates them; she confirms. Without JavaScript,
// "Enregistrer" draws the same figures on the server. The administrator closes the
// vote and publishes the results; anyone then reads the results page: the funded
// projects with a reason each, and the three rules side by side. Every page: no
// console error, no CSP violation, texts contrasting at least 4.5:1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  SCREENSHOTS,
  contrastReport,
  launchChromium,
  newContextIn,
  screenshotOnFailure,
  tabUntil,
  unexpectedProblems,
  watchPage,
} from './helpers.mjs';

const HTTP_PORT = process.env.CIVITAS_TEST_HTTP_PORT;
const SITE = { host: 'quartiers.localhost' };
const PASSWORD = 'budget-Quartville-2027';
const NADIA = { nickname: 'Nadia', email: 'nadia@quartiers.test' };
const REGIE = { nickname: 'Régie', email: 'regie@quartiers.test' };
const PLACE = '/processes/budget-2027/f/1';
const BUDGET = `${PLACE}/budgets/1`;
// The site's words (themes/default/locales/budgets.fr.toml), with its spaces:
// U+202F groups digits, U+00A0 comes before the currency.
const euros = (n) => `${String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f')}\u00a0€`;
const T = {
  vote: 'Voter',
  save: 'Enregistrer',
  confirm: 'Confirmer mon vote',
  confirmed: 'Votre vote est confirmé. Merci de votre participation !',
  recorded: 'Votre vote est enregistré',
  empty: 'Choisissez au moins un projet.',
  tooFew: 'Il manque 1 projet (minimum 2).',
  over: (n) => `Dépasse le budget de ${euros(n)}.`,
  saved: 'Votre sélection est enregistrée comme brouillon. Elle ne compte qu\'une fois confirmée.',
  settingsSave: 'Enregistrer les réglages',
  results: 'Résultats — Quartier des Tilleuls',
};

/** @type {import('playwright-core').Browser} */
let browser;
let closeBrowser;
let activePage = null;
const contexts = [];

before(async () => {
  assert.match(HTTP_PORT ?? '', /^\d+$/, 'CIVITAS_TEST_HTTP_PORT must be set: run these tests through tests/browser/run.sh');
  ({ browser, close: closeBrowser } = await launchChromium());
  await mkdir(SCREENSHOTS, { recursive: true });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await closeBrowser?.();
});

const siteUrl = (p) => `http://${SITE.host}:${HTTP_PORT}${p}`;
const words = (text) => text.replace(/[ \t\r\n]+/g, ' ').trim();

async function open(options = {}) {
  const context = await newContextIn(browser, 'fr-FR', options);
  contexts.push(context);
  const watched = await watchPage(context);
  activePage = watched.page;
  return watched;
}

/** Runs `action` and waits for the page it loads; fails on another status than 200. */
async function navigate(page, action, what) {
  let response;
  try {
    [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
  } catch (err) {
    const body = await page.locator('body').innerText().catch(() => '(no body)');
    throw new Error(`${what}: stuck at ${page.url()} (${err.message.split('\n')[0]}): ${words(body).slice(0, 300)}`);
  }
  assert.equal(response?.status(), 200, `${what}: ${page.url()}`);
}

async function signIn(watched, person) {
  const { page } = watched;
  watched.current = siteUrl('/sign-in');
  await page.goto(watched.current, { waitUntil: 'load' });
  await page.getByLabel('Adresse e-mail', { exact: true }).fill(person.email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
  await navigate(page, () => page.getByRole('button', { name: 'Se connecter', exact: true }).click(), `${person.nickname}: sign-in`);
}

/** Texts under 4.5:1 and CSP violations of the page now shown, into `failures`. */
async function check(watched, label, failures) {
  const { page } = watched;
  await page.waitForLoadState('networkidle');
  for (const v of await page.evaluate(() => window.__cspViolations ?? [])) {
    watched.problems.push({ page: label, kind: 'CSP violation', ...v });
  }
  const report = await contrastReport(page);
  assert.ok(report.some((r) => r.role === 'text'), `${label}: no text measured`);
  for (const r of report) if (r.ratio < 4.5) failures.push({ page: label, ...r });
  await page.screenshot({ path: path.join(SCREENSHOTS, `budgets-${label}.png`), fullPage: true });
}

function assertClean(watched, failures, expected404s = []) {
  const problems = unexpectedProblems(watched.problems, expected404s);
  assert.deepEqual(problems, [], 'no console error, uncaught exception, CSP violation or failed subresource');
  assert.deepEqual(failures, [], `texts below 4.5:1:\n${failures.map((f) => JSON.stringify(f)).join('\n')}`);
}

const summary = async (page) => ({
  total: words(await page.locator('[data-total]').innerText()),
  remaining: words(await page.locator('[data-remaining]').innerText()),
  reasons: (await page.locator('#ballot-reasons li').allInnerTexts()).map(words),
  confirmDisabled: await page.locator('button[data-confirm]').isDisabled(),
});

test('a voter casts a ballot with the keyboard, the figures following each box, and confirms it', async () => {
  const watched = await open();
  await screenshotOnFailure('budgets voter casts a ballot', () => activePage, async () => {
    const { page } = watched;
    const failures = [];
    await signIn(watched, NADIA);
    watched.current = siteUrl(PLACE);
    assert.equal((await page.goto(watched.current, { waitUntil: 'load' })).status(), 200);
    assert.deepEqual(await page.locator('h1').allInnerTexts(), ['Votez pour votre quartier']);
    await check(watched, 'component', failures);
    await tabUntil(page, `.budget-links a[href="${BUDGET}"]`, 60);
    assert.equal(words(await page.evaluate(() => document.activeElement.innerText)), `${T.vote} — Quartier des Tilleuls`);
    await navigate(page, () => page.keyboard.press('Enter'), 'Enter on the budget');
    watched.current = page.url();
    assert.deepEqual(await page.locator('h1').allInnerTexts(), ['Quartier des Tilleuls']);
    assert.deepEqual(await summary(page), { total: euros(0), remaining: euros(100000), reasons: [T.empty], confirmDisabled: true });

    // Ticked with the space bar: the script follows each box.
    const jardin = page.getByLabel(`Un jardin partagé — ${euros(40000)}`);
    await tabUntil(page, 'input[name="project"]', 60);
    assert.equal(await page.evaluate(() => document.activeElement.id), await jardin.getAttribute('id'));
    await page.keyboard.press('Space');
    assert.ok(await jardin.isChecked());
    assert.deepEqual(await summary(page), { total: euros(40000), remaining: euros(60000), reasons: [T.tooFew], confirmDisabled: true });
    await page.getByLabel(`Une fresque — ${euros(70000)}`).check();
    assert.deepEqual(await summary(page), {
      total: euros(110000),
      remaining: `-${euros(10000)}`,
      reasons: [T.over(10000)],
      confirmDisabled: true,
    });
    assert.equal(await page.locator('[data-remaining]').getAttribute('class'), 'over');
    await page.getByLabel(`Une fresque — ${euros(70000)}`).uncheck();
    await page.getByLabel(`Une piste cyclable — ${euros(50000)}`).check();
    assert.deepEqual(await summary(page), { total: euros(90000), remaining: euros(10000), reasons: [], confirmDisabled: false });
    await check(watched, 'ballot', failures);

    // Confirmed from the keyboard.
    await page.locator('button[data-confirm]').focus();
    await navigate(page, () => page.keyboard.press('Enter'), 'confirm');
    watched.current = page.url();
    assert.equal(words(await page.locator('main .notice[role="status"]').innerText()), T.confirmed);
    assert.ok(words(await page.locator('#ballot').innerText()).includes(T.recorded));
    assert.deepEqual(
      (await page.locator('#ballot ul li').allInnerTexts()).map(words),
      [`Un jardin partagé — ${euros(40000)}`, `Une piste cyclable — ${euros(50000)}`],
    );
    await check(watched, 'confirmed', failures);
    assertClean(watched, failures);
  });
});

test('without JavaScript, "Enregistrer" keeps a draft and the server draws the same figures', async () => {
  const watched = await open({ javaScriptEnabled: false });
  await screenshotOnFailure('budgets ballot without javascript', () => activePage, async () => {
    const { page } = watched;
    const failures = [];
    await signIn(watched, REGIE);
    watched.current = siteUrl(BUDGET);
    await page.goto(watched.current, { waitUntil: 'load' });
    await page.getByLabel(`Un jardin partagé — ${euros(40000)}`).check();
    await page.getByLabel(`Une fresque — ${euros(70000)}`).check();
    // The figures do not move without the script...
    assert.equal((await summary(page)).total, euros(0));
    // ...the server draws them.
    await navigate(page, () => page.getByRole('button', { name: T.save, exact: true }).click(), 'save');
    assert.equal(words(await page.locator('main .notice[role="status"]').innerText()), T.saved);
    assert.deepEqual(await summary(page), {
      total: euros(110000),
      remaining: `-${euros(10000)}`,
      reasons: [T.over(10000)],
      confirmDisabled: true,
    });
    await check(watched, 'draft-nojs', failures);
    assertClean(watched, failures);
  });
});

test('the administrator closes the vote and publishes the results; anyone reads them with the three rules compared', async () => {
  const admin = await open();
  await screenshotOnFailure('budgets results published', () => activePage, async () => {
    const { page } = admin;
    await signIn(admin, REGIE);
    admin.current = siteUrl('/admin/components/1');
    await page.goto(admin.current, { waitUntil: 'load' });
    await page.locator('#p-1-voting_enabled').uncheck();
    await page.locator('#p-1-results_published').check();
    await navigate(page, () => page.getByRole('button', { name: T.settingsSave, exact: true }).click(), 'save the settings');
    assert.equal(words(await page.locator('main .notice[role="status"]').innerText()), 'Modification enregistrée.');

    const reader = await open();
    const failures = [];
    const r = reader.page;
    reader.current = siteUrl(`${BUDGET}/results`);
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await r.goto(reader.current, { waitUntil: 'load' })).status();
      if (status !== 200) await new Promise((done) => setTimeout(done, 100));
    }
    assert.equal(status, 200, 'the results are public once published');
    assert.deepEqual(await r.locator('h1').allInnerTexts(), [T.results]);
    const body = words(await r.locator('main').innerText());
    assert.ok(body.includes('à partir de 6 bulletins'), body);
    assert.ok(body.includes('Méthode des parts égales'), body);
    // One row per project, each with its decision and a reason.
    const rows = r.locator('table.results-table tbody tr');
    assert.equal(await rows.count(), 4);
    for (let i = 0; i < 4; i++) {
      const cells = (await rows.nth(i).locator('th, td').allInnerTexts()).map(words);
      assert.ok(['Financé', 'Non financé'].includes(cells[3]), cells.join(' | '));
      assert.ok(cells[4].length > 20, `a reason: ${cells.join(' | ')}`);
    }
    const compare = (await r.locator('table.compare-table tbody th').allInnerTexts()).map(words);
    assert.deepEqual(compare, ['Glouton par nombre de votes', 'Couverture maximale sélection optimale', 'Méthode des parts égales règle retenue']);
    await check(reader, 'results', failures);
    // Until the server saw the new settings (within a second), the page was a 404.
    assertClean(reader, failures, [reader.current]);
    assertClean(admin, []);
  });
});
