// The participation core in a real browser (issue 5): an institution set up through
// the product alone, a citizen who signs up and publishes a proposal, another who
// supports it with the keyboard and comments it, the author notified and replying in
// the thread, and an administrator answering the proposal. Headless Chromium driven by
// playwright-core; run through run.sh, which starts `civitas serve` and exports
// CIVITAS_TEST_HTTP_PORT, CIVITAS_TEST_PROV_PORT, CIVITAS_TEST_API_TOKEN and
// CIVITAS_TEST_MAIL_DIR (where the server writes each mail as an .eml file).
//
// No SQL anywhere: the institution and its first administrator come from the
// provisioning API (the only way to a first administrator), everything else from the
// sites' own forms. The tests below run in order and build on each other; a step that
// fails leaves a screenshot named after it (FAILED-<step>.png) in screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  SCREENSHOTS,
  contrastReport,
  launchChromium,
  newContextIn,
  pngSize,
  screenshotOnFailure,
  tabUntil,
  unexpectedProblems,
  watchPage,
} from './helpers.mjs';

const HTTP_PORT = process.env.CIVITAS_TEST_HTTP_PORT;
const PROV_PORT = process.env.CIVITAS_TEST_PROV_PORT;
const API_TOKEN = process.env.CIVITAS_TEST_API_TOKEN;
const MAIL_DIR = process.env.CIVITAS_TEST_MAIL_DIR;

// The institution this file creates: its own, so that the other files' tenants keep
// the modules they test.
const AGORA = {
  slug: 'agora',
  name: 'Agora de Val-Clair',
  host: 'agora.localhost',
  adminEmail: 'participation@val-clair.test',
};
const PASSWORD = 'phare-du-Minou-1848';
const ADMIN = { nickname: 'Camille Régie', email: AGORA.adminEmail };
const ALICE = { nickname: 'Amandine', email: 'amandine@exemple.test' };
const BOB = { nickname: 'Bastien', email: 'bastien@exemple.test' };

const SPACE = {
  slug: 'budget-2027',
  title: 'Budget participatif 2027',
  titleEn: 'Participatory budget 2027',
  subtitle: 'Vos idées pour la ville, votées par vous',
  description: 'Proposez des projets pour Val-Clair : les plus soutenus seront étudiés par la ville.',
};
const PHASE = { title: 'Dépôt des propositions', titleEn: 'Submitting proposals' };
const COMPONENT = { name: 'Propositions', nameEn: 'Proposals' };
const CATEGORY = { name: 'Mobilités', nameEn: 'Mobility' };
const PROPOSAL = {
  title: 'Des arceaux vélo devant chaque école',
  body: 'Les enfants viennent de plus en plus à vélo, mais les écoles manquent de stationnement sûr. Installons dix arceaux devant chaque école élémentaire.',
  pdf: 'plan-arceaux.pdf',
};
const COMMENT = 'Très bonne idée : à l’école Jules-Ferry, les vélos sont attachés aux grilles.';
const REPLY = 'Merci ! Je vais ajouter cette école au plan joint.';
const ANSWER = 'La ville retient cette proposition : les arceaux seront posés avant la rentrée 2027.';

// The site's words (themes/default/locales/*.fr.toml).
const T = {
  signUpButton: 'Créer mon compte',
  confirmButton: 'Confirmer mon adresse',
  inviteButton: 'Activer mon compte',
  signIn: 'Se connecter',
  signOut: 'Se déconnecter',
  saved: 'Modification enregistrée.',
  spaceCreate: "Créer l'espace",
  phaseAdd: "Ajouter l'étape",
  phaseActivate: 'Rendre active',
  phaseActive: 'en cours',
  componentAdd: 'Ajouter le composant',
  settingsSave: 'Enregistrer les réglages',
  creationEnabled: 'Dépôt de propositions ouvert',
  supportsEnabled: 'Soutiens ouverts',
  amendmentsEnabled: 'Amendements possibles',
  categoryAdd: 'Ajouter la catégorie',
  publish: 'Publier',
  published: 'Publié',
  newProposal: 'Déposer une proposition',
  publishProposal: 'Publier la proposition',
  proposalPublished: 'Votre proposition est publiée.',
  support: 'Soutenir',
  youSupport: 'Vous soutenez cette proposition.',
  supported: 'Votre soutien est enregistré.',
  commentSubmit: 'Publier le commentaire',
  alignmentFor: 'Pour',
  reply: 'Répondre',
  replySubmit: 'Publier la réponse',
  notifications: 'Notifications',
  commented: (actor, title) => `${actor} a commenté « ${title} ».`,
  replied: (actor, title) => `${actor} a répondu à votre commentaire sur « ${title} ».`,
  answered: (title) => `La proposition « ${title} » a reçu une réponse.`,
  accepted: 'Acceptée',
  answerSave: 'Publier la réponse',
  answerTitle: "Réponse de l'institution",
};

/** @type {import('playwright-core').Browser} */
let browser;
let closeBrowser;
/** A folder for the PDF this file attaches, removed at the end. */
let workDir;

/** One browser context per person, kept open across the steps (their sessions). */
const people = {};
/** The page the last step acted on: what a failure screenshot shows. */
let activePage = null;

// What the steps hand on to the next ones.
const shared = {
  inviteLink: null,
  spaceId: null,
  componentId: null,
  componentUrl: null,
  proposalUrl: null,
  commentId: null,
  done: new Set(),
};

before(async () => {
  for (const [name, value, pattern] of [
    ['CIVITAS_TEST_HTTP_PORT', HTTP_PORT, /^\d+$/],
    ['CIVITAS_TEST_PROV_PORT', PROV_PORT, /^\d+$/],
    ['CIVITAS_TEST_API_TOKEN', API_TOKEN, /^cvt_[A-Za-z0-9_-]+$/],
    ['CIVITAS_TEST_MAIL_DIR', MAIL_DIR, /^\//],
  ]) {
    assert.match(value ?? '', pattern, `${name} must be set: run these tests through tests/browser/run.sh`);
  }
  ({ browser, close: closeBrowser } = await launchChromium());
  await mkdir(SCREENSHOTS, { recursive: true });
  workDir = await mkdtemp(path.join(tmpdir(), 'civitas-participation-'));
});

after(async () => {
  for (const p of Object.values(people)) await p.context.close().catch(() => {});
  await closeBrowser?.();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

function siteUrl(pathAndQuery = '/') {
  return `http://${AGORA.host}:${HTTP_PORT}${pathAndQuery}`;
}

function apiUrl(pathAndQuery) {
  return `http://127.0.0.1:${PROV_PORT}/api/v1${pathAndQuery}`;
}

/**
 * The status of GET `pathAndQuery` on the site, asked of 127.0.0.1 with the site's
 * Host header (Node does not resolve *.localhost names; Chromium is told to).
 */
function siteStatus(pathAndQuery) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: HTTP_PORT, path: pathAndQuery, headers: { host: `${AGORA.host}:${HTTP_PORT}` } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(0));
  });
}

function squash(text) {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * A step: a test that needs the earlier steps `needs` to have passed, and that leaves
 * a screenshot of the page it was on when it fails.
 */
function step(name, needs, fn) {
  test(name, async (t) => {
    for (const n of needs) assert.ok(shared.done.has(n), `an earlier step failed: ${n}`);
    await screenshotOnFailure(name, () => activePage, () => fn(t));
    shared.done.add(name);
  });
}

/** The person's own browser context and watched page, opened on first use. */
async function as(person) {
  if (!people[person.email]) {
    const context = await newContextIn(browser, 'fr-FR');
    const watched = await watchPage(context);
    people[person.email] = { context, watched, page: watched.page };
  }
  const p = people[person.email];
  activePage = p.page;
  return p;
}

/**
 * Runs `action` (a click, a key press) and waits for the page it starts loading;
 * returns that page's final status. On a timeout, says where the page got stuck.
 */
async function navigate(page, action, what) {
  let response;
  try {
    [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
  } catch (err) {
    const body = await page.locator('body').innerText().catch(() => '(no body)');
    throw new Error(`${what}: stuck at ${page.url()} (${err.message.split('\n')[0]})\npage text: ${squash(body).slice(0, 400)}`);
  }
  const status = response?.status();
  if (status !== 200) {
    const body = await page.locator('main').innerText().catch(() => '(no main)');
    assert.fail(`${what}: answered ${status} at ${page.url()}: ${squash(body).slice(0, 400)}`);
  }
  return page.url();
}

async function goto(page, target) {
  const res = await page.goto(siteUrl(target), { waitUntil: 'load' });
  assert.equal(res.status(), 200, `GET ${target}`);
}

/** The page's notice (base.html), as read. */
async function notice(page) {
  const n = page.locator('main .notice[role="status"]');
  return (await n.count()) > 0 ? squash(await n.first().innerText()) : null;
}

async function screenshot(page, file) {
  await page.evaluate(() => document.fonts.ready);
  const target = path.join(SCREENSHOTS, file);
  await page.screenshot({ path: target, fullPage: true });
  const size = pngSize(await readFile(target));
  const viewport = page.viewportSize();
  assert.ok(size.width >= viewport.width && size.height >= viewport.height, `${file}: ${size.width}x${size.height}`);
}

/** A full-page screenshot and the texts below 4.5:1 of the page now shown, into `failures`. */
async function keyPage(t, page, file, failures) {
  await page.waitForLoadState('networkidle');
  await screenshot(page, file);
  const report = await contrastReport(page);
  assert.ok(report.some((r) => r.role === 'text'), `${file}: no text measured`);
  for (const r of report) if (r.ratio < 4.5) failures.push({ page: file, ...r });
  const min = report.reduce((m, r) => (r.ratio < m.ratio ? r : m));
  t.diagnostic(`${file}: lowest contrast ${min.ratio}:1 for ${min.element} "${min.text}" (${min.color} on ${min.background})`);
}

function assertContrast(failures) {
  assert.deepEqual(failures, [], `texts below 4.5:1:\n${failures.map((f) => JSON.stringify(f)).join('\n')}`);
}

/** Console errors, CSP violations and failed subresources the person's page met. */
async function assertNoProblems(person) {
  const { watched } = people[person.email];
  const csp = await watched.page.evaluate(() => window.__cspViolations ?? []).catch(() => []);
  for (const v of csp) watched.problems.push({ page: watched.page.url(), kind: 'CSP violation', ...v });
  const problems = unexpectedProblems(watched.problems, []);
  assert.deepEqual(problems, [], `${person.nickname}'s page: problems:\n${problems.map((p) => JSON.stringify(p)).join('\n')}`);
}

/**
 * The link of the newest mail to `to` whose text holds `/<kind>/<token>`, as a path
 * on this site (the mail's host and port are the server's idea of the site, not this
 * run's). Waits a little: the server writes the file before answering, but mails of
 * jobs (the invitation) come later.
 */
async function mailedPath(to, kind) {
  const dir = path.join(MAIL_DIR, AGORA.slug);
  const pattern = new RegExp(`(/account/${kind}/[A-Za-z0-9_.~-]+)`);
  for (let i = 0; i < 100; i++) {
    const names = (await readdir(dir).catch(() => [])).filter((n) => n.endsWith('.eml'));
    const found = [];
    for (const name of names) {
      const text = await readFile(path.join(dir, name), 'utf8');
      const header = text.split(/\r?\n\r?\n/)[0];
      const m = text.match(pattern);
      if (m && new RegExp(`^To:.*${to.replace(/[.+]/g, '\\$&')}`, 'mi').test(header)) found.push(m[1]);
    }
    if (found.length > 1) assert.fail(`${found.length} mails to ${to} with a /account/${kind}/ link: ${found.join(', ')}`);
    if (found.length === 1) return found[0];
    await sleep(100);
  }
  assert.fail(`no mail to ${to} with a /account/${kind}/ link under ${dir}`);
}

/**
 * Signs in with the password form, reached by `link` on the page `from`; returns
 * where the form leads.
 */
async function signIn(page, person, from, link) {
  await goto(page, from);
  await navigate(page, () => page.locator(link).first().click(), `${person.nickname}: the sign-in link (${link})`);
  assert.equal(new URL(page.url()).pathname, '/sign-in');
  await page.getByLabel('Adresse e-mail', { exact: true }).fill(person.email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
  await navigate(page, () => page.getByRole('button', { name: T.signIn, exact: true }).click(), `${person.nickname}: sign-in`);
  assert.equal(
    squash(await page.locator('header nav.account-nav a[href="/account"]').innerText()),
    person.nickname,
    'the header names the person signed in',
  );
  return new URL(page.url()).pathname;
}

async function signOut(page, person) {
  await navigate(page, () => page.locator('header').getByRole('button', { name: T.signOut }).click(), `${person.nickname}: sign-out`);
  assert.equal(await page.locator('header a[href^="/sign-in"]').count(), 1, 'signed out: the header offers to sign in');
}

/**
 * /sign-up, the confirmation link of the mail, then signing out, and in again with
 * the password from the sign-in link that `from` shows where an action needs an
 * account: the form leads back there.
 */
async function signUpConfirmSignIn(person, from) {
  const { page } = await as(person);
  await goto(page, '/');
  await navigate(page, () => page.locator('header a[href="/sign-up"]').click(), `${person.nickname}: the header's sign-up link`);
  await page.getByLabel('Pseudonyme', { exact: true }).fill(person.nickname);
  await page.getByLabel('Adresse e-mail', { exact: true }).fill(person.email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
  await page.locator('#terms').check();
  await navigate(page, () => page.getByRole('button', { name: T.signUpButton }).click(), `${person.nickname}: sign-up`);
  assert.equal(new URL(page.url()).pathname, '/sign-up/check-email');

  const confirm = await mailedPath(person.email, 'confirm');
  await goto(page, confirm);
  assert.ok(squash(await page.locator('main').innerText()).includes(person.email), 'the confirmation page names the address');
  await navigate(page, () => page.getByRole('button', { name: T.confirmButton }).click(), `${person.nickname}: confirmation`);
  assert.equal(new URL(page.url()).pathname, '/account', 'confirmed: on the account page');
  assert.equal(await notice(page), 'Votre adresse e-mail est confirmée.');

  await signOut(page, person);
  const back = await signIn(page, person, from, `main .gate a[href="/sign-in?next=${from}"]`);
  assert.equal(back, from, 'back where the sign-in started');
}

// ---------------------------------------------------------------------------------

step(
  'the hosting staff creates the institution with the proposals module and its first administrator through the provisioning API; the invitation arrives by mail',
  [],
  async () => {
    const res = await fetch(apiUrl('/tenants'), {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        slug: AGORA.slug,
        name: AGORA.name,
        hosts: [AGORA.host],
        locales: ['fr', 'en'],
        modules: ['proposals'],
        theme: 'default',
        color: '#1f4e79',
        description: 'Le site de participation citoyenne de Val-Clair.',
        admin_email: AGORA.adminEmail,
      }),
    });
    const text = await res.text();
    assert.equal(res.status, 202, `POST /tenants: ${text}`);
    const jobId = JSON.parse(text).job.id;
    let job;
    for (let i = 0; i < 300; i++) {
      const r = await fetch(apiUrl(`/jobs/${jobId}`), { headers: { authorization: `Bearer ${API_TOKEN}` } });
      job = (await r.json()).job;
      if (job.status === 'succeeded' || job.status === 'failed') break;
      await sleep(100);
    }
    assert.equal(job.status, 'succeeded', `the create job: ${JSON.stringify(job)}`);
    assert.deepEqual(job.steps_done, ['create', 'invite_admin', 'activate']);

    // The site answers once the directory has heard of the new tenant.
    let status;
    for (let i = 0; i < 300; i++) {
      status = await siteStatus('/');
      if (status === 200) break;
      await sleep(100);
    }
    assert.equal(status, 200, `${AGORA.host} answers`);
    shared.inviteLink = await mailedPath(AGORA.adminEmail, 'invite');
  },
);

step(
  'the administrator accepts the invitation, signs in again with the password, and creates a process with an active phase at /admin/spaces',
  ['the hosting staff creates the institution with the proposals module and its first administrator through the provisioning API; the invitation arrives by mail'],
  async (t) => {
    const failures = [];
    const { page } = await as(ADMIN);
    await goto(page, shared.inviteLink);
    assert.ok(squash(await page.locator('main').innerText()).includes(AGORA.adminEmail), 'the invitation names the address');
    await page.getByLabel('Pseudonyme', { exact: true }).fill(ADMIN.nickname);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await navigate(page, () => page.getByRole('button', { name: T.inviteButton }).click(), 'invitation');
    assert.equal(new URL(page.url()).pathname, '/admin', 'the invitation leads to the administration');

    await signOut(page, ADMIN);
    await signIn(page, ADMIN, '/', 'header a[href^="/sign-in"]');
    const adminLink = page.locator('header nav.account-nav a[href="/admin"]');
    await navigate(page, () => adminLink.click(), "the header's administration link");
    await navigate(page, () => page.locator('nav.admin-nav a[href="/admin/spaces"]').click(), 'the admin navigation: spaces');

    // --- a new process, not yet published ---
    const form = page.locator('form[action="/admin/spaces"]');
    assert.equal(await form.locator('#kind').inputValue(), 'process', 'a process by default');
    await form.getByLabel('Adresse (identifiant)').fill(SPACE.slug);
    await page.fill('#title', SPACE.title);
    await page.fill('#title_en', SPACE.titleEn);
    await page.fill('#subtitle_fr', SPACE.subtitle);
    await page.fill('#description_fr', SPACE.description);
    await page.fill('#start_date', '2027-01-15');
    await page.fill('#end_date', '2027-06-30');
    assert.equal(await page.locator('#published').isChecked(), false, 'not published unless asked');
    await navigate(page, () => page.getByRole('button', { name: T.spaceCreate }).click(), 'new space');
    const m = new URL(page.url()).pathname.match(/^\/admin\/spaces\/(\d+)$/);
    assert.ok(m, `on the new space's admin page: ${page.url()}`);
    shared.spaceId = m[1];
    assert.equal(await notice(page), T.saved);
    assert.equal(squash(await page.locator('main h1').innerText()), SPACE.title);

    // --- a phase, then made active ---
    await page.fill('#phase_title_fr', PHASE.title);
    await page.fill('#phase_title_en', PHASE.titleEn);
    await page.fill('#phase_start', '2027-01-15');
    await page.fill('#phase_end', '2027-03-31');
    await navigate(page, () => page.getByRole('button', { name: T.phaseAdd }).click(), 'new phase');
    const phase = page.locator('ol.phases > li', { hasText: PHASE.title });
    assert.equal(await phase.count(), 1, 'the phase is listed');
    assert.equal(await phase.getAttribute('aria-current'), null, 'not active yet');
    await navigate(page, () => phase.getByRole('button', { name: `${T.phaseActivate} ${PHASE.title}` }).click(), 'phase activation');
    assert.equal(await phase.getAttribute('aria-current'), 'step', 'the phase is the active step');
    assert.equal(squash(await phase.locator('.tag').innerText()), T.phaseActive);
    await keyPage(t, page, 'participation-admin-space.png', failures);
    assertContrast(failures);
  },
);

step(
  'the administrator adds a proposals component, opens creation, supports and amendments in the active phase, adds a category and publishes the component and the space',
  ['the administrator accepts the invitation, signs in again with the password, and creates a process with an active phase at /admin/spaces'],
  async (t) => {
    const failures = [];
    const { page } = await as(ADMIN);
    await goto(page, `/admin/spaces/${shared.spaceId}`);
    const add = page.locator(`form[action="/admin/spaces/${shared.spaceId}/components"]`);
    await add.getByLabel('Module').selectOption('proposals');
    await add.getByLabel('Nom (français)').fill(COMPONENT.name);
    await add.getByLabel('Name (English)').fill(COMPONENT.nameEn);
    await navigate(page, () => add.getByRole('button', { name: T.componentAdd }).click(), 'new component');
    const m = new URL(page.url()).pathname.match(/^\/admin\/components\/(\d+)$/);
    assert.ok(m, `on the component's admin page: ${page.url()}`);
    shared.componentId = m[1];
    assert.equal(await notice(page), T.saved);

    // --- the active phase's settings: creation, supports and amendments ---
    const activePhase = () => page.locator('fieldset', { has: page.locator('legend', { hasText: `(${T.phaseActive})` }) });
    assert.equal(await activePhase().count(), 1, 'one fieldset for the active phase');
    for (const label of [T.creationEnabled, T.supportsEnabled, T.amendmentsEnabled]) {
      const box = activePhase().getByLabel(label, { exact: true });
      assert.equal(await box.isChecked(), false, `"${label}" is off in a new phase`);
      await box.check();
    }
    const whole = page.locator('fieldset', { has: page.locator('legend', { hasText: 'Réglages du composant' }) });
    assert.equal(await whole.getByLabel(T.amendmentsEnabled, { exact: true }).isChecked(), true, 'amendments are on for the component');
    assert.equal(await whole.getByLabel('Pièces jointes autorisées', { exact: true }).isChecked(), true, 'attachments are allowed');
    await navigate(page, () => page.getByRole('button', { name: T.settingsSave }).click(), 'settings');
    assert.equal(await notice(page), T.saved);
    for (const label of [T.creationEnabled, T.supportsEnabled, T.amendmentsEnabled]) {
      assert.equal(await activePhase().getByLabel(label, { exact: true }).isChecked(), true, `"${label}" is saved on`);
    }

    // --- a category ---
    const categories = page.locator('#categories');
    await categories.getByLabel('Nom de la catégorie (français)').fill(CATEGORY.name);
    await categories.getByLabel('Name (English)').fill(CATEGORY.nameEn);
    await navigate(page, () => categories.getByRole('button', { name: T.categoryAdd }).click(), 'new category');
    assert.deepEqual(
      (await page.locator('#categories > ul > li').allInnerTexts()).map((s) => squash(s).split(' ')[0]),
      [CATEGORY.name],
      'the category is listed',
    );

    // --- publishing the component, then the space ---
    const publication = page.locator(`form[action="/admin/components/${shared.componentId}/publication"]`);
    await navigate(page, () => publication.getByRole('button', { name: T.publish, exact: true }).click(), 'component publication');
    assert.equal(await publication.locator('input[name="published"]').inputValue(), '0', 'the component is published: the form now unpublishes');
    shared.componentUrl = await page.locator('main').getByRole('link', { name: 'Voir la page publique' }).getAttribute('href');
    assert.equal(shared.componentUrl, `/processes/${SPACE.slug}/f/${shared.componentId}`);
    await keyPage(t, page, 'participation-admin-component.png', failures);

    await navigate(page, () => page.locator('main').getByRole('link', { name: SPACE.title }).click(), 'back to the space');
    const spacePublication = page.locator(`form[action="/admin/spaces/${shared.spaceId}/publication"]`);
    await navigate(page, () => spacePublication.getByRole('button', { name: T.publish, exact: true }).click(), 'space publication');
    assert.equal(await spacePublication.locator('input[name="published"]').inputValue(), '0', 'the space is published: the form now unpublishes');

    // An anonymous visitor now finds the process and its component.
    const anonymous = await newContextIn(browser, 'fr-FR');
    try {
      const visitor = await anonymous.newPage();
      await visitor.goto(siteUrl('/processes'));
      assert.equal(await visitor.locator(`main a[href="/processes/${SPACE.slug}"]`).count() > 0, true, 'the process is listed');
      await visitor.goto(siteUrl(`/processes/${SPACE.slug}`));
      assert.equal(await visitor.locator(`main a[href="${shared.componentUrl}"]`).count(), 1, 'the component is linked');
    } finally {
      await anonymous.close();
    }
    await assertNoProblems(ADMIN);
    assertContrast(failures);
  },
);

step(
  'a citizen signs up, confirms her address from the mail, signs in and publishes a proposal with a category and a PDF attachment',
  ['the administrator adds a proposals component, opens creation, supports and amendments in the active phase, adds a category and publishes the component and the space'],
  async (t) => {
    const failures = [];
    // Signed out, the proposals page asks her to sign in to propose; she comes back.
    await signUpConfirmSignIn(ALICE, shared.componentUrl);
    const { page } = await as(ALICE);
    assert.equal(squash(await page.locator('main h1').innerText()), COMPONENT.name);
    await navigate(page, () => page.getByRole('link', { name: T.newProposal }).click(), 'new proposal');
    assert.equal(new URL(page.url()).pathname, `${shared.componentUrl}/new`);

    const pdf = path.join(workDir, PROPOSAL.pdf);
    await writeFile(
      pdf,
      '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n' +
        '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
    );
    await page.getByLabel('Titre', { exact: true }).fill(PROPOSAL.title);
    await page.getByLabel('Texte de la proposition').fill(PROPOSAL.body);
    await page.getByLabel('Catégorie').selectOption({ label: CATEGORY.name });
    await page.getByLabel('Pièces jointes').setInputFiles(pdf);
    await keyPage(t, page, 'participation-proposal-form.png', failures);
    await navigate(page, () => page.getByRole('button', { name: T.publishProposal }).click(), 'publishing the proposal');
    const url = new URL(page.url());
    assert.match(url.pathname, new RegExp(`^${shared.componentUrl}/\\d+$`), `on the new proposal: ${page.url()}`);
    shared.proposalUrl = url.pathname;
    assert.equal(await notice(page), T.proposalPublished);
    assert.equal(squash(await page.locator('main h1').innerText()), PROPOSAL.title);
    const meta = squash(await page.locator('article.proposal header .meta').first().innerText());
    assert.ok(meta.includes(ALICE.nickname) && meta.includes(CATEGORY.name), `author and category: ${meta}`);
    assert.equal(squash(await page.locator('article.proposal .prose').first().innerText()), PROPOSAL.body);

    // The attachment: listed, and served back as the PDF it was.
    const attachment = page.locator('section[aria-labelledby="attachments-title"] a[download]');
    assert.equal(squash(await attachment.innerText()), PROPOSAL.pdf);
    const served = await page.evaluate(async (href) => {
      const r = await fetch(href);
      return { status: r.status, type: r.headers.get('content-type'), bytes: [...new Uint8Array(await r.arrayBuffer())] };
    }, await attachment.getAttribute('href'));
    assert.equal(served.status, 200, 'the attachment is served');
    assert.equal(served.type, 'application/pdf');
    assert.deepEqual(Buffer.from(served.bytes), await readFile(pdf), 'the same bytes');
    await assertNoProblems(ALICE);
    assertContrast(failures);
  },
);

step(
  'another citizen signs up, supports the proposal with the keyboard alone (the count shows 1) and comments it',
  ['a citizen signs up, confirms her address from the mail, signs in and publishes a proposal with a category and a PDF attachment'],
  async (t) => {
    // Signed out, the proposal asks him to sign in to support it; he comes back.
    await signUpConfirmSignIn(BOB, shared.proposalUrl);
    const { page } = await as(BOB);
    await goto(page, `/processes/${SPACE.slug}`);
    await navigate(page, () => page.locator(`main a[href="${shared.componentUrl}"]`).click(), 'the component from the process');
    await navigate(page, () => page.locator(`main a[href="${shared.proposalUrl}"]`).click(), 'the proposal from the list');
    assert.equal(squash(await page.locator('#supports p').first().innerText()), '0 soutiens');

    // --- keyboard only: Tab to the support button, which shows its focus; Enter ---
    const presses = await tabUntil(page, `form[action="${shared.proposalUrl}/support"] button`, 80);
    t.diagnostic(`the support button is reached with ${presses} presses of Tab`);
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const s = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      return {
        text: el.textContent.trim(),
        outline: s.outlineStyle,
        width: parseFloat(s.outlineWidth),
        inView: r.top >= 0 && r.bottom <= window.innerHeight,
      };
    });
    assert.equal(focused.text, T.support, 'the focused element is the support button');
    assert.ok(focused.outline !== 'none' && focused.width >= 2, `a visible focus ring on the support button: ${JSON.stringify(focused)}`);
    assert.ok(focused.inView, 'the focused button is scrolled into view');
    await navigate(page, () => page.keyboard.press('Enter'), 'Enter on the support button');
    const back = new URL(page.url());
    assert.equal(back.pathname, shared.proposalUrl);
    assert.equal(back.hash, '#supports', 'back at the supports section');
    assert.equal(await notice(page), T.supported);
    assert.equal(squash(await page.locator('#supports p').first().innerText()), '1 soutien', 'the count shows 1');
    assert.ok(squash(await page.locator('#supports').innerText()).includes(T.youSupport));
    // The fragment moved the focus starting point to #supports: the next Tab reaches
    // the button that undoes the support, not the top of the page.
    await page.keyboard.press('Tab');
    const next = await page.evaluate(() => ({
      text: document.activeElement?.textContent.trim(),
      inSupports: !!document.activeElement?.closest('#supports'),
    }));
    assert.ok(next.inSupports, `after Enter, Tab stays in the supports section: ${JSON.stringify(next)}`);
    assert.equal(next.text, 'Retirer mon soutien');

    // --- a comment, in favour ---
    const form = page.locator('form.comment-new');
    await form.getByLabel('Votre commentaire').fill(COMMENT);
    await form.getByLabel(T.alignmentFor, { exact: true }).check();
    await navigate(page, () => form.getByRole('button', { name: T.commentSubmit }).click(), 'comment');
    const hash = new URL(page.url()).hash;
    assert.match(hash, /^#comment-\d+$/, `back at the comment: ${page.url()}`);
    shared.commentId = hash.slice('#comment-'.length);
    const comment = page.locator(`article#comment-${shared.commentId}`);
    assert.equal(squash(await comment.locator('.comment-meta strong').innerText()), BOB.nickname);
    assert.equal(squash(await comment.locator('.comment-body').innerText()), COMMENT);
    assert.equal(squash(await comment.locator('.tag').innerText()), T.alignmentFor);
    await assertNoProblems(BOB);
  },
);

step(
  "the author sees the unread badge, finds the sentence about the comment at /notifications, follows its link back to the proposal and replies in the comment's thread",
  ['another citizen signs up, supports the proposal with the keyboard alone (the count shows 1) and comments it'],
  async (t) => {
    const failures = [];
    const { page } = await as(ALICE);
    await goto(page, '/');
    const link = page.locator('header nav.account-nav a[href="/notifications"]');
    const badge = link.locator('.count-badge');
    assert.equal(await badge.count(), 1, 'an unread badge in the header');
    assert.equal(squash(await badge.innerText()), '1 non lues', 'one unread notification, said in words too');
    await navigate(page, () => link.click(), 'the notifications link');
    assert.equal(new URL(page.url()).pathname, '/notifications');
    const sentence = T.commented(BOB.nickname, PROPOSAL.title);
    const item = page.locator('ol.notifications > li', { hasText: sentence });
    assert.equal(await item.count(), 1, `"${sentence}" in ${squash(await page.locator('main').innerText())}`);
    assert.ok((await item.getAttribute('class')).includes('notification-unread'), 'marked unread');
    await keyPage(t, page, 'participation-notifications.png', failures);

    // Read: the badge goes; the notification stays in the list, with its link.
    await navigate(page, () => item.locator('form[action$="/read"] button').click(), 'marking the notification read');
    assert.equal(new URL(page.url()).pathname, '/notifications');
    assert.equal(await page.locator('header .count-badge').count(), 0, 'no unread badge any more');
    assert.equal(await item.count(), 1, 'the notification is still listed');
    assert.ok(!(await item.getAttribute('class')).includes('notification-unread'), 'no longer marked unread');
    await navigate(page, () => item.getByRole('link', { name: sentence }).click(), 'the notification link');
    assert.equal(new URL(page.url()).pathname, shared.proposalUrl, 'the link leads to the proposal');

    // --- the reply, threaded under the comment ---
    const comment = page.locator(`article#comment-${shared.commentId}`);
    await comment.locator('details.comment-reply summary', { hasText: T.reply }).click();
    await comment.getByLabel('Votre réponse').fill(REPLY);
    await navigate(page, () => comment.getByRole('button', { name: T.replySubmit }).click(), 'reply');
    const hash = new URL(page.url()).hash;
    assert.match(hash, /^#comment-\d+$/);
    const replyId = hash.slice('#comment-'.length);
    const threaded = page.locator(
      `ol.comment-list > li:has(> article#comment-${shared.commentId}) > ol.comment-replies > li > article#comment-${replyId}`,
    );
    assert.equal(await threaded.count(), 1, 'the reply sits in the replies of the comment');
    assert.equal(await threaded.getAttribute('data-depth'), '1');
    assert.equal(squash(await threaded.locator('.comment-meta strong').innerText()), ALICE.nickname);
    assert.equal(squash(await threaded.locator('.comment-body').innerText()), REPLY);
    assert.equal(squash(await page.locator('#comments-title').innerText()), 'Commentaires (2)');
    await keyPage(t, page, 'participation-proposal-comments.png', failures);

    // The commenter hears of the reply.
    const bob = (await as(BOB)).page;
    await goto(bob, '/notifications');
    const replied = T.replied(ALICE.nickname, PROPOSAL.title);
    assert.equal(await bob.locator('ol.notifications > li', { hasText: replied }).count(), 1, `"${replied}" for the commenter`);
    await assertNoProblems(ALICE);
    await assertNoProblems(BOB);
    assertContrast(failures);
  },
);

step(
  'the administrator answers the proposal "accepted" with a text; the public page shows the answer and the author is notified',
  ["the author sees the unread badge, finds the sentence about the comment at /notifications, follows its link back to the proposal and replies in the comment's thread"],
  async (t) => {
    const failures = [];
    const { page } = await as(ADMIN);
    await goto(page, `/admin/components/${shared.componentId}`);
    await navigate(page, () => page.locator('main').getByRole('link', { name: 'Propositions', exact: true }).click(), 'the proposals of the component');
    const pid = shared.proposalUrl.split('/').pop();
    await navigate(
      page,
      () => page.locator(`main a[href="/admin/components/${shared.componentId}/proposals/${pid}"]`).first().click(),
      'the proposal in the admin list',
    );
    assert.equal(squash(await page.locator('main h1').innerText()), PROPOSAL.title);
    const adminMeta = squash(await page.locator('main .meta').first().innerText());
    assert.match(adminMeta, / 1 soutien · /, 'the admin sees the support');
    await page.getByLabel(T.accepted, { exact: true }).check();
    await page.getByLabel('Texte de la réponse').fill(ANSWER);
    await navigate(page, () => page.getByRole('button', { name: T.answerSave }).click(), 'answer');
    assert.equal(await notice(page), T.saved);
    assert.equal(await page.getByLabel(T.accepted, { exact: true }).isChecked(), true, 'the answer is saved');
    assert.equal(await page.getByLabel('Texte de la réponse').inputValue(), ANSWER, 'the text as typed, not its HTML');
    await keyPage(t, page, 'participation-admin-answer.png', failures);

    // The author: the answer on the public page, and a notification about it.
    const alice = (await as(ALICE)).page;
    await goto(alice, shared.proposalUrl);
    const answer = alice.locator('section.answer');
    assert.equal(await answer.count(), 1, 'the answer section');
    assert.equal(squash(await answer.locator('h2').innerText()), T.answerTitle);
    assert.ok((await answer.getAttribute('class')).includes('answer-accepted'));
    assert.equal(squash(await answer.locator('p > strong').innerText()), T.accepted);
    assert.equal(squash(await answer.locator('.prose').innerText()), ANSWER);
    assert.equal(squash(await alice.locator('article.proposal header .tag').innerText()), T.accepted);
    await keyPage(t, alice, 'participation-proposal-answered.png', failures);

    assert.equal(squash(await alice.locator('header .count-badge').innerText()), '1 non lues', 'a new unread notification');
    await goto(alice, '/notifications');
    const sentence = T.answered(PROPOSAL.title);
    const item = alice.locator('ol.notifications > li.notification-unread', { hasText: sentence });
    assert.equal(await item.count(), 1, `"${sentence}" unread in ${squash(await alice.locator('main').innerText())}`);

    // The list: the proposal with its support, its comments and its answer.
    await goto(alice, shared.componentUrl);
    const card = alice.locator('li.proposal-card', { has: alice.locator(`a[href="${shared.proposalUrl}"]`) });
    const cardMeta = squash(await card.locator('.meta').last().innerText());
    for (const part of [T.accepted, /\b1 soutien\b(?!s)/, /\b2 commentaires\b/]) {
      assert.ok(typeof part === 'string' ? cardMeta.includes(part) : part.test(cardMeta), `${part} in ${cardMeta}`);
    }
    await keyPage(t, alice, 'participation-proposals-list.png', failures);
    await assertNoProblems(ADMIN);
    await assertNoProblems(ALICE);
    assertContrast(failures);
  },
);
