// Self-check of the FranceConnect-like test provider.
//
//   node tests/oidc/selfcheck.mjs
//
// Starts provider.mjs on a free port with two clients (two tenants) and plays, over real HTTP,
// what a relying party and a person's browser do: manual redirects, a path-aware cookie jar,
// PKCE, code exchange, ID token and userinfo verification against the JWKS, end-session.
// Prints one line per check and a closing "N passed, N failed" line; exits 1 on any failure.

import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as jose from 'jose';

const here = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------
// Reporting

let passed = 0;
let failed = 0;

function check(name, condition, detail) {
  if (condition) {
    passed += 1;
    console.log(`ok - ${name}`);
  } else {
    failed += 1;
    console.log(`not ok - ${name}${detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
  }
  return condition;
}

/** Runs one scenario; an exception counts as one failure and does not stop the others. */
async function scenario(name, fn) {
  console.log(`# ${name}`);
  try {
    await fn();
  } catch (err) {
    failed += 1;
    console.log(`not ok - ${name} threw: ${err.stack}`);
  }
}

// ---------------------------------------------------------------------------------------------
// A person's browser: manual redirects and a cookie jar that honours cookie paths (the provider
// only ever sets host-only cookies on 127.0.0.1, so the domain is not tracked).

class Browser {
  constructor() {
    this.cookies = []; // { name, value, path }
  }

  cookieHeader(url) {
    const { pathname } = new URL(url);
    return this.cookies
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  store(response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';').map((s) => s.trim());
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      let cookiePath = '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [key, val = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') cookiePath = val;
        if (key.toLowerCase() === 'expires' && Date.parse(val) <= Date.now()) expired = true;
        if (key.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === cookiePath));
      if (!expired) this.cookies.push({ name, value, path: cookiePath });
    }
  }

  has(name) {
    return this.cookies.some((c) => c.name === name);
  }

  async request(url, { method = 'GET', form } = {}) {
    const headers = {};
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    let body;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    this.store(response);
    return response;
  }
}

// ---------------------------------------------------------------------------------------------
// Provider process

const CLIENTS = {
  alpha: {
    client_id: 'civitas-alpha',
    client_secret: 'alpha-secret-3f9c2d7e61b04a8c9e5f',
    redirect_uri: 'http://alpha.localhost:8080/auth/franceconnect/callback',
    post_logout_redirect_uri: 'http://alpha.localhost:8080/auth/franceconnect/logged-out',
    auth: 'basic',
  },
  beta: {
    client_id: 'civitas-beta',
    client_secret: 'beta-secret-8d1e4b2a07c6f3e95d2b',
    redirect_uri: 'http://beta.localhost:8080/auth/franceconnect/callback',
    post_logout_redirect_uri: 'http://beta.localhost:8080/auth/franceconnect/logged-out',
    auth: 'post',
  },
};

async function startProvider() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'civitas-oidc-selfcheck-'));
  const configPath = path.join(dir, 'config.json');
  fs.writeFileSync(configPath, JSON.stringify({
    port: 0,
    clients: Object.values(CLIENTS).map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: [c.redirect_uri],
      post_logout_redirect_uris: [c.post_logout_redirect_uri],
    })),
  }, null, 2));

  const child = spawn(process.execPath, [path.join(here, 'provider.mjs'), configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OIDC_PROVIDER_PORT: '' },
  });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const origin = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`provider not ready after 20 s:\n${log}`)), 20_000);
    child.stdout.on('data', (d) => {
      log += d;
      const match = /oidc-provider listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`provider exited with ${code}:\n${log}`));
    });
  });
  return { child, origin, dir, log: () => log };
}

// ---------------------------------------------------------------------------------------------
// Relying-party side helpers

const random = () => crypto.randomBytes(32).toString('base64url'); // 43 characters

let meta; // discovery document
let jwks; // remote JWKS

function authorizeUrl(client, params) {
  const url = new URL(meta.authorization_endpoint);
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined) url.searchParams.set(k, v);
  }
  return url.href;
}

/**
 * Starts a code flow and follows it, as a browser would, until the provider redirects to the
 * client's redirect_uri. `login` is the account chosen on the login page. Returns the callback
 * URL's query parameters plus the values the RP keeps (state, nonce, code_verifier).
 */
async function codeFlow(browser, client, login, {
  scope = 'openid identite_pivot email preferred_username',
  acr = 'eidas1',
  pkce = true,
  state = random(),
  nonce = random(),
  claims,
  prompt,
  expectLoginPage = true,
} = {}) {
  const verifier = random();
  const params = {
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: client.redirect_uri,
    scope,
    acr_values: acr,
    state: state ?? undefined, // null leaves the parameter out
    nonce: nonce ?? undefined,
    claims: claims && JSON.stringify(claims),
    prompt,
    ...(pkce ? { code_challenge: crypto.hash('sha256', verifier, 'base64url'), code_challenge_method: 'S256' } : {}),
  };
  let response = await browser.request(authorizeUrl(client, params));
  let location = response.headers.get('location');

  if (expectLoginPage) {
    if (!check(`${login}@${client.client_id}: authorize answers 303 to the login page`,
      response.status === 303 && location?.startsWith(`${meta.issuer}/interaction/`), { status: response.status, location })) {
      return undefined;
    }
    const interactionUrl = location;
    response = await browser.request(interactionUrl);
    const html = await response.text();
    check(`${login}@${client.client_id}: login page is 200 HTML with radio buttons, "Se connecter" and no script`,
      response.status === 200 && response.headers.get('content-type').startsWith('text/html')
        && html.includes('name="login"') && html.includes('<button type="submit">Se connecter</button>')
        && !/<script/i.test(html), { status: response.status });
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    check(`${login}@${client.client_id}: form posts to {interaction}/login`, action === `${interactionUrl}/login`, action);

    response = await browser.request(action, { method: 'POST', form: { login } });
    location = response.headers.get('location');
    if (!check(`${login}@${client.client_id}: login POST answers 303 to {issuer}/auth/{uid}`,
      response.status === 303 && location === `${meta.issuer}/auth/${interactionUrl.split('/').pop()}`, { status: response.status, location })) {
      return undefined;
    }
    response = await browser.request(location);
    location = response.headers.get('location');
  }

  if (!check(`${login}@${client.client_id}: ends with 303 to the redirect_uri`,
    response.status === 303 && location?.startsWith(`${client.redirect_uri}?`), { status: response.status, location })) {
    return undefined;
  }
  const query = Object.fromEntries(new URL(location).searchParams);
  return { query, state, nonce, verifier };
}

async function exchange(client, code, verifier, { secret = client.client_secret, auth = client.auth } = {}) {
  const form = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: client.redirect_uri,
    ...(verifier ? { code_verifier: verifier } : {}),
  };
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth === 'basic') {
    const basic = `${encodeURIComponent(client.client_id)}:${encodeURIComponent(secret)}`;
    headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
  } else {
    Object.assign(form, { client_id: client.client_id, client_secret: secret });
  }
  const response = await fetch(meta.token_endpoint, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  return { status: response.status, json: await response.json() };
}

async function verifyIdToken(client, idToken, options = {}) {
  return jose.jwtVerify(idToken, jwks, {
    issuer: meta.issuer, audience: client.client_id, algorithms: ['ES256'], ...options,
  });
}

/** Full sign-in: code flow, token exchange, ID token verification. */
async function signIn(browser, client, login, options = {}) {
  const flow = await codeFlow(browser, client, login, options);
  if (!flow) return undefined;
  const { query } = flow;
  check(`${login}@${client.client_id}: callback carries code, the same state and iss`,
    typeof query.code === 'string' && query.state === flow.state && query.iss === meta.issuer, query);
  const token = await exchange(client, query.code, flow.verifier);
  if (!check(`${login}@${client.client_id}: token endpoint (${client.auth}) answers 200 with id_token and access_token`,
    token.status === 200 && token.json.id_token && token.json.access_token && token.json.token_type === 'Bearer', token)) {
    return undefined;
  }
  return { ...flow, code: query.code, tokens: token.json, idPayload: jose.decodeJwt(token.json.id_token) };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const provider = await startProvider();
  const issuer = `${provider.origin}/api/v2`;
  const { alpha, beta } = CLIENTS;
  try {
    await scenario('discovery and JWKS', async () => {
      const response = await fetch(`${issuer}/.well-known/openid-configuration`);
      meta = await response.json();
      check('discovery is served under the issuer', response.status === 200 && meta.issuer === issuer, meta.issuer);
      check('ES256 ID tokens and userinfo', meta.id_token_signing_alg_values_supported?.join() === 'ES256'
        && meta.userinfo_signing_alg_values_supported?.join() === 'ES256', meta);
      check('acr eidas1..3', ['eidas1', 'eidas2', 'eidas3'].every((a) => meta.acr_values_supported?.includes(a)));
      check('pairwise subjects only', meta.subject_types_supported?.join() === 'pairwise');
      check('PKCE S256', meta.code_challenge_methods_supported?.join() === 'S256');
      check('client_secret_post and client_secret_basic', ['client_secret_post', 'client_secret_basic']
        .every((m) => meta.token_endpoint_auth_methods_supported?.includes(m)));
      check('FranceConnect scopes', ['openid', 'given_name', 'family_name', 'birthdate', 'gender', 'birthplace',
        'birthcountry', 'email', 'preferred_username', 'profile', 'birth', 'identite_pivot']
        .every((s) => meta.scopes_supported?.includes(s)), meta.scopes_supported);
      check('end-session endpoint', meta.end_session_endpoint === `${issuer}/session/end`, meta.end_session_endpoint);
      const keys = await (await fetch(meta.jwks_uri)).json();
      check('JWKS holds one public EC P-256 key', keys.keys?.length === 1 && keys.keys[0].kty === 'EC'
        && keys.keys[0].crv === 'P-256' && keys.keys[0].d === undefined, keys);
      jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
      const outside = await fetch(`${provider.origin}/.well-known/openid-configuration`);
      check('nothing is served outside the issuer path', outside.status === 404, outside.status);
    });

    const subs = {};
    let alphaBrowser;
    let angelaAlpha;

    await scenario('angela signs in on alpha (client_secret_basic)', async () => {
      alphaBrowser = new Browser();
      const r = await signIn(alphaBrowser, alpha, 'angela');
      if (!r) return;
      angelaAlpha = r;
      const { payload, protectedHeader } = await verifyIdToken(alpha, r.tokens.id_token);
      check('ID token is ES256 with the JWKS kid', protectedHeader.alg === 'ES256' && typeof protectedHeader.kid === 'string');
      check('ID token nonce is the request nonce', payload.nonce === r.nonce, payload);
      check('ID token aud is the client id', payload.aud === alpha.client_id, payload.aud);
      check('ID token acr is eidas1', payload.acr === 'eidas1', payload.acr);
      check('ID token sub looks like FranceConnect (64 hex + v1)', /^[0-9a-f]{64}v1$/.test(payload.sub), payload.sub);
      check('ID token carries no identity claims (they are in userinfo)', payload.given_name === undefined, payload);
      check('ID token lives 60 s', payload.exp - payload.iat === 60, payload);
      subs.angelaAlpha = payload.sub;

      const userinfo = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${r.tokens.access_token}` } });
      const body = await userinfo.text();
      check('userinfo answers 200 application/jwt', userinfo.status === 200
        && userinfo.headers.get('content-type').startsWith('application/jwt'), { status: userinfo.status, body });
      const { payload: info, protectedHeader: infoHeader } = await jose.jwtVerify(body, jwks, {
        issuer, audience: alpha.client_id, algorithms: ['ES256'],
      });
      check('userinfo JWT is ES256', infoHeader.alg === 'ES256');
      const expected = {
        sub: payload.sub,
        given_name: 'Angela Claire Louise',
        family_name: 'DUBOIS',
        birthdate: '1962-08-24',
        gender: 'female',
        birthplace: '75107',
        birthcountry: '99100',
        email: 'angela.dubois@example.fr',
        preferred_username: '',
      };
      check('userinfo has the identite_pivot, email and preferred_username claims',
        Object.entries(expected).every(([k, v]) => info[k] === v), info);
    });

    await scenario('a replayed authorization code is refused', async () => {
      if (!angelaAlpha) throw new Error('needs the previous scenario');
      const replay = await exchange(alpha, angelaAlpha.code, angelaAlpha.verifier);
      check('second exchange of the same code answers 400 invalid_grant', replay.status === 400
        && replay.json.error === 'invalid_grant', replay);
    });

    await scenario('angela signs in on beta (client_secret_post): another pairwise sub', async () => {
      const r = await signIn(new Browser(), beta, 'angela', { scope: 'openid' });
      if (!r) return;
      const { payload } = await verifyIdToken(beta, r.tokens.id_token);
      subs.angelaBeta = payload.sub;
      check('the same person has different subs on the two clients', subs.angelaBeta !== subs.angelaAlpha, subs);
      const userinfo = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${r.tokens.access_token}` } });
      const { payload: info } = await jose.jwtVerify(await userinfo.text(), jwks, { issuer, audience: beta.client_id });
      check('scope openid alone gives only sub in userinfo', info.sub === payload.sub && info.given_name === undefined
        && info.family_name === undefined, info);
    });

    await scenario('sub is stable per client, and a person switch in one browser works without JavaScript', async () => {
      const browser = new Browser();
      const again = await signIn(browser, alpha, 'angela');
      if (again) check('angela gets the same sub on alpha again', again.idPayload.sub === subs.angelaAlpha);
      const pierre = await signIn(browser, alpha, 'pierre', { scope: 'openid profile' });
      if (!pierre) return;
      check('pierre (same cookie jar) gets another sub', pierre.idPayload.sub !== subs.angelaAlpha);
      const userinfo = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${pierre.tokens.access_token}` } });
      const { payload: info } = await jose.jwtVerify(await userinfo.text(), jwks, { issuer, audience: alpha.client_id });
      check('profile scope gives family_name, given_name, preferred_username, gender, birthdate only',
        info.family_name === 'MERCIER' && info.given_name === 'Pierre Paul' && info.gender === 'male'
        && info.birthdate === '1969-03-17' && info.preferred_username === '' && info.birthplace === undefined
        && info.email === undefined, info);
    });

    await scenario('marie: usage name; amr through the claims parameter', async () => {
      const r = await signIn(new Browser(), beta, 'marie', {
        scope: 'openid preferred_username birth',
        claims: { id_token: { amr: { essential: true } } },
      });
      if (!r) return;
      const { payload } = await verifyIdToken(beta, r.tokens.id_token);
      check('ID token has amr ["pwd"] when asked for', JSON.stringify(payload.amr) === '["pwd"]', payload);
      const userinfo = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${r.tokens.access_token}` } });
      const { payload: info } = await jose.jwtVerify(await userinfo.text(), jwks, { issuer, audience: beta.client_id });
      check('preferred_username is the usage name, birth gives birthplace and birthcountry',
        info.preferred_username === 'LEROY' && info.birthplace === '13055' && info.birthcountry === '99100'
        && info.given_name === undefined, info);
    });

    await scenario("aicha with Civitas' default scopes (one scope per claim); born abroad", async () => {
      const scope = 'openid given_name family_name birthdate gender birthplace birthcountry email preferred_username';
      const r = await signIn(new Browser(), beta, 'aicha', { scope });
      if (!r) return;
      const userinfo = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${r.tokens.access_token}` } });
      const { payload: info } = await jose.jwtVerify(await userinfo.text(), jwks, { issuer, audience: beta.client_id });
      check('each claim scope releases its claim; birthplace is empty, birthcountry 99350',
        info.given_name === 'Aïcha Fatima' && info.family_name === 'BENALI' && info.birthdate === '1990-11-02'
        && info.gender === 'female' && info.birthplace === '' && info.birthcountry === '99350'
        && info.email === 'aicha.benali@example.fr' && info.preferred_username === '', info);
    });

    await scenario('prompt=login consent: the consent step is answered with redirects only', async () => {
      const browser = new Browser();
      const state = random();
      const verifier = random();
      let url = authorizeUrl(alpha, {
        response_type: 'code', client_id: alpha.client_id, redirect_uri: alpha.redirect_uri, scope: 'openid email',
        acr_values: 'eidas1', prompt: 'login consent', state, nonce: random(),
        code_challenge: crypto.hash('sha256', verifier, 'base64url'), code_challenge_method: 'S256',
      });
      const trail = [];
      for (let hop = 0; hop < 10 && !url.startsWith(alpha.redirect_uri); hop += 1) {
        let response = await browser.request(url);
        trail.push(`${response.status} ${new URL(url).pathname}`);
        if (response.status === 200) {
          response = await browser.request(`${url}/login`, { method: 'POST', form: { login: 'angela' } });
          trail.push(`${response.status} POST login`);
        }
        url = response.headers.get('location');
      }
      const query = Object.fromEntries(new URL(url).searchParams);
      check('reaches the callback with a code after one login page', query.code && query.state === state
        && trail.filter((t) => t.endsWith('POST login')).length === 1, trail);
      const token = await exchange(alpha, query.code, verifier);
      check('and the code is redeemed', token.status === 200, token);
    });

    await scenario('low-acr and no-acr accounts', async () => {
      const low = await signIn(new Browser(), alpha, 'low-acr');
      if (low) {
        const { payload } = await verifyIdToken(alpha, low.tokens.id_token);
        check('low-acr: acr eidas0 although eidas1 was asked', payload.acr === 'eidas0', payload.acr);
      }
      const none = await signIn(new Browser(), alpha, 'no-acr');
      if (none) {
        const { payload } = await verifyIdToken(alpha, none.tokens.id_token);
        check('no-acr: no acr claim', !('acr' in payload), payload);
      }
    });

    await scenario('short-lived and expired ID tokens', async () => {
      const short = await signIn(new Browser(), alpha, 'short-lived');
      if (short) {
        const { payload } = await verifyIdToken(alpha, short.tokens.id_token);
        check('short-lived: exp is iat + 2', payload.exp - payload.iat === 2, payload);
        await new Promise((r) => { setTimeout(r, 3100); });
        const late = await verifyIdToken(alpha, short.tokens.id_token).then(() => null, (e) => e);
        check('short-lived: rejected as expired 3 s later', late?.code === 'ERR_JWT_EXPIRED', late?.code);
      }
      const expired = await signIn(new Browser(), alpha, 'expired');
      if (expired) {
        const error = await verifyIdToken(alpha, expired.tokens.id_token).then(() => null, (e) => e);
        check('expired: rejected as expired on arrival', error?.code === 'ERR_JWT_EXPIRED', error?.code);
        const { payload } = await verifyIdToken(alpha, expired.tokens.id_token, {
          currentDate: new Date((expired.idPayload.iat + 1) * 1000),
        });
        check('expired: signature, nonce and acr are otherwise valid', payload.nonce === expired.nonce
          && payload.acr === 'eidas1' && payload.exp < Date.now() / 1000 - 500, payload);
      }
    });

    await scenario('errors come back on the callback with state', async () => {
      const denied = await codeFlow(new Browser(), alpha, 'deny');
      if (denied) {
        check('deny: error=access_denied with error_description and state', denied.query.error === 'access_denied'
          && denied.query.error_description && denied.query.state === denied.state && !denied.query.code, denied.query);
      }
      const noPkce = await codeFlow(new Browser(), alpha, 'angela', { pkce: false, expectLoginPage: false });
      if (noPkce) {
        check('no PKCE: error=invalid_request at the callback', noPkce.query.error === 'invalid_request'
          && noPkce.query.state === noPkce.state, noPkce.query);
      }
      const shortState = await codeFlow(new Browser(), alpha, 'angela', { state: 'too-short', expectLoginPage: false });
      if (shortState) {
        check('state under 32 characters: error=invalid_request', shortState.query.error === 'invalid_request'
          && /state/.test(shortState.query.error_description), shortState.query);
      }
      const noNonce = await codeFlow(new Browser(), alpha, 'angela', { nonce: null, expectLoginPage: false });
      if (noNonce) {
        check('missing nonce: error=invalid_request', noNonce.query.error === 'invalid_request'
          && /nonce/.test(noNonce.query.error_description), noNonce.query);
      }
      const silent = await codeFlow(new Browser(), alpha, 'angela', { prompt: 'none', expectLoginPage: false });
      if (silent) {
        check('prompt=none: error=login_required', silent.query.error === 'login_required', silent.query);
      }
      const unknown = await fetch(authorizeUrl(alpha, {
        response_type: 'code', client_id: alpha.client_id, redirect_uri: 'http://evil.localhost/cb', scope: 'openid',
        state: random(), nonce: random(),
      }), { redirect: 'manual' });
      check('unregistered redirect_uri: 400 page, no redirect', unknown.status === 400 && !unknown.headers.get('location'));
    });

    await scenario('login page and token endpoint refusals', async () => {
      const browser = new Browser();
      const start = await browser.request(authorizeUrl(alpha, {
        response_type: 'code', client_id: alpha.client_id, redirect_uri: alpha.redirect_uri, scope: 'openid',
        state: random(), nonce: random(), code_challenge: crypto.hash('sha256', random(), 'base64url'), code_challenge_method: 'S256',
      }));
      const login = await browser.request(`${start.headers.get('location')}/login`, { method: 'POST', form: { login: 'nobody' } });
      check('unknown login: 400 with the form again', login.status === 400 && (await login.text()).includes('Se connecter'));

      const flow = await codeFlow(new Browser(), alpha, 'angela');
      if (!flow) return;
      const wrongSecret = await exchange(alpha, flow.query.code, flow.verifier, { secret: 'wrong' });
      check('wrong client secret: 401 invalid_client', wrongSecret.status === 401 && wrongSecret.json.error === 'invalid_client', wrongSecret);
      const wrongVerifier = await exchange(alpha, flow.query.code, random());
      check('wrong code_verifier: 400 invalid_grant', wrongVerifier.status === 400 && wrongVerifier.json.error === 'invalid_grant', wrongVerifier);
      const otherClient = await codeFlow(new Browser(), alpha, 'angela');
      if (!otherClient) return;
      const stolen = await exchange(beta, otherClient.query.code, otherClient.verifier);
      check("another client cannot redeem alpha's code", stolen.status === 400 && stolen.json.error === 'invalid_grant', stolen);
    });

    await scenario('RP-initiated logout', async () => {
      if (!angelaAlpha) throw new Error('needs the first sign-in');
      check('the browser holds a provider session cookie', alphaBrowser.has('_session'));
      const logoutState = random();
      const url = new URL(meta.end_session_endpoint);
      url.searchParams.set('id_token_hint', angelaAlpha.tokens.id_token);
      url.searchParams.set('state', logoutState);
      url.searchParams.set('post_logout_redirect_uri', alpha.post_logout_redirect_uri);
      const response = await alphaBrowser.request(url.href);
      check('end-session answers 303 to post_logout_redirect_uri?state=… at once', response.status === 303
        && response.headers.get('location') === `${alpha.post_logout_redirect_uri}?state=${logoutState}`,
      { status: response.status, location: response.headers.get('location') });
      check('the provider session cookie is cleared', !alphaBrowser.has('_session'), alphaBrowser.cookies);

      // The same without any provider session (e.g. cookies lost): still a direct redirect.
      const fresh = new Browser();
      const again = await fresh.request(url.href);
      check('end-session without a provider session also answers 303 with state', again.status === 303
        && again.headers.get('location') === `${alpha.post_logout_redirect_uri}?state=${logoutState}`,
      { status: again.status, location: again.headers.get('location') });

      const badUri = new URL(url);
      badUri.searchParams.set('post_logout_redirect_uri', 'http://evil.localhost/');
      const refused = await fresh.request(badUri.href);
      check('unregistered post_logout_redirect_uri: 400, no redirect', refused.status === 400 && !refused.headers.get('location'));
    });
  } finally {
    if (provider.child.exitCode === null) {
      const exited = new Promise((resolve) => { provider.child.once('exit', resolve); });
      provider.child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(provider.dir, { recursive: true, force: true });
    if (failed) {
      console.log('# provider log:');
      console.log(provider.log());
    }
  }

  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
