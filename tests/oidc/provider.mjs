// FranceConnect-like OpenID provider for Civitas tests, built on the npm package oidc-provider.
//
//   node provider.mjs CONFIG_JSON          (or OIDC_PROVIDER_CONFIG=CONFIG_JSON node provider.mjs)
//
// Binds 127.0.0.1 only, on the config's `port` (or $OIDC_PROVIDER_PORT; 0 = a free port), and
// prints `oidc-provider listening on http://127.0.0.1:PORT` once it accepts requests. The issuer is
// `http://127.0.0.1:PORT/api/v2`, with a path like FranceConnect's own issuers. README.md documents
// the configuration, the test accounts and the exact HTTP sequence a client follows.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';

import * as jose from 'jose';
import Provider, { errors, interactionPolicy } from 'oidc-provider';

import { ACCOUNTS, describeAccount } from './accounts.mjs';

const HOST = '127.0.0.1';
const ISSUER_PATH = '/api/v2';

// Lifetimes in seconds. FranceConnect's access tokens live about a minute.
const TTL = {
  AccessToken: 60,
  AuthorizationCode: 60,
  IdToken: 60,
  ShortLivedIdToken: 2,
  Interaction: 10 * 60,
  Session: 60 * 60,
  Grant: 60 * 60,
};

// Scopes and the claims they release, as in FranceConnect v2 (shared/FRANCECONNECT.md).
const FC_SCOPES = {
  given_name: ['given_name'],
  family_name: ['family_name'],
  birthdate: ['birthdate'],
  gender: ['gender'],
  birthplace: ['birthplace'],
  birthcountry: ['birthcountry'],
  email: ['email'],
  preferred_username: ['preferred_username'],
  profile: ['family_name', 'given_name', 'preferred_username', 'gender', 'birthdate'],
  birth: ['birthplace', 'birthcountry'],
  identite_pivot: ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry'],
};

// ---------------------------------------------------------------------------------------------
// Configuration

function fail(message) {
  console.error(`oidc-provider: ${message}`);
  process.exit(2);
}

/** Replaces `${NAME}` in every string of the config with the environment variable NAME. */
function substituteEnv(value, where) {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name) => {
      if (process.env[name] === undefined) {
        fail(`${where} uses \${${name}} but that environment variable is not set`);
      }
      return process.env[name];
    });
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => substituteEnv(v, `${where}[${i}]`));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, `${where}.${k}`)]));
  }
  return value;
}

const CONFIG_KEYS = new Set(['port', 'clients', 'pkce_required', 'require_state_nonce', 'pairwise_salt']);
const CLIENT_KEYS = new Set(['client_id', 'client_secret', 'client_name', 'redirect_uris', 'post_logout_redirect_uris']);

function loadConfig() {
  const path = process.argv[2] || process.env.OIDC_PROVIDER_CONFIG;
  if (!path) {
    fail('usage: node provider.mjs CONFIG_JSON (or set OIDC_PROVIDER_CONFIG)');
  }
  let raw;
  try {
    raw = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (err) {
    fail(`cannot read config ${path}: ${err.message}`);
  }
  const config = substituteEnv(raw, 'config');

  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.has(key)) fail(`unknown config key "${key}"`);
  }
  if (!Array.isArray(config.clients) || config.clients.length === 0) {
    fail('config.clients must be a non-empty array');
  }
  config.clients.forEach((client, i) => {
    for (const key of Object.keys(client)) {
      if (!CLIENT_KEYS.has(key)) fail(`unknown key "${key}" in config.clients[${i}]`);
    }
    for (const key of ['client_id', 'client_secret']) {
      if (typeof client[key] !== 'string' || client[key] === '') fail(`config.clients[${i}].${key} must be a non-empty string`);
    }
    if (!Array.isArray(client.redirect_uris) || client.redirect_uris.length === 0) {
      fail(`config.clients[${i}].redirect_uris must be a non-empty array`);
    }
  });

  const envPort = process.env.OIDC_PROVIDER_PORT;
  const port = Number(envPort !== undefined && envPort !== '' ? envPort : (config.port ?? 0));
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid port ${port}`);

  return {
    port,
    clients: config.clients,
    pkceRequired: config.pkce_required ?? true,
    requireStateNonce: config.require_state_nonce ?? true,
    pairwiseSalt: config.pairwise_salt ?? 'civitas-test-oidc-provider',
  };
}

// ---------------------------------------------------------------------------------------------
// HTML pages (French, no JavaScript, no external resources)

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — FranceConnect (fournisseur de test)</title>
<style>
body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#161616}
h1{font-size:1.4rem;color:#000091}label{display:block;margin:.4rem 0}fieldset{border:1px solid #ddd;padding:.5rem 1rem}
button{margin-top:1rem;padding:.6rem 1.5rem;background:#000091;color:#fff;border:0;font-size:1rem;cursor:pointer}
.meta{color:#555;font-size:.9rem}.error{color:#ce0500}code{background:#eee;padding:0 .2rem}
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

function loginPage(uid, action, params, message) {
  const radios = [...ACCOUNTS].map(([login, account], i) => `<label><input type="radio" name="login" id="login-${escapeHtml(login)}" value="${escapeHtml(login)}"${i === 0 ? ' checked' : ''}> <code>${escapeHtml(login)}</code> — ${escapeHtml(describeAccount(login, account))}</label>`).join('\n');
  return page('Connexion', `<h1>Connexion avec FranceConnect (fournisseur de test)</h1>
<p class="meta">Service : <code>${escapeHtml(params.client_id)}</code> · niveau demandé : <code>${escapeHtml(params.acr_values || '—')}</code> · données : <code>${escapeHtml(params.scope || '')}</code> · interaction <code>${escapeHtml(uid)}</code></p>
${message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}">
<fieldset>
<legend>Choisissez une identité de test</legend>
${radios}
</fieldset>
<button type="submit">Se connecter</button>
</form>`);
}

function errorPage(out) {
  const rows = Object.entries(out).map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd><code>${escapeHtml(v)}</code></dd>`).join('\n');
  return page('Erreur', `<h1>Une erreur est survenue</h1>\n<dl>\n${rows}\n</dl>`);
}

// ---------------------------------------------------------------------------------------------
// Provider

async function main() {
  const config = loadConfig();

  // The HTTP server starts first so that a port of 0 can be resolved before the issuer URL (which
  // contains the port) is given to oidc-provider. Requests arriving before that get a 503.
  let handler = (req, res) => { res.writeHead(503).end(); };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, HOST, resolve);
  });
  const { port } = server.address();
  const origin = `http://${HOST}:${port}`;
  const issuer = `${origin}${ISSUER_PATH}`;

  // ES256 signing key, made anew at every start (nothing private is committed). Clients fetch it
  // from the JWKS endpoint; the kid is the key's RFC 7638 thumbprint.
  const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const signingJwk = { ...await jose.exportJWK(privateKey), alg: 'ES256', use: 'sig' };
  signingJwk.kid = await jose.calculateJwkThumbprint(signingJwk);

  // Pairwise subject per client, like FranceConnect: a keyed hash of (client id, person), 64 hex
  // digits followed by "v1". Stable across restarts for a given pairwise_salt.
  const pairwiseSub = (accountId, clientId) => `${crypto.createHmac('sha256', config.pairwiseSalt)
    .update(`${clientId}\n${accountId}`).digest('hex')}v1`;
  const accountForSub = (clientId, sub) => [...ACCOUNTS.keys()].find((id) => pairwiseSub(id, clientId) === sub);

  const policy = interactionPolicy.base();
  const loginPrompt = policy.get('login');
  // FranceConnect demands state and nonce of at least 32 characters. Checked as a prompt check so
  // that the error goes back to the client's callback (error=invalid_request, with state), after
  // oidc-provider has validated client_id and redirect_uri.
  if (config.requireStateNonce) {
    loginPrompt.checks.add(new interactionPolicy.Check('fc_state_nonce', 'state and nonce are mandatory', (ctx) => {
      for (const name of ['state', 'nonce']) {
        const value = ctx.oidc.params[name];
        if (typeof value !== 'string' || value.length < 32) {
          throw new errors.InvalidRequest(`${name} is mandatory and must be at least 32 characters long`);
        }
      }
      return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }), 0);
  }
  // No single sign-on: every authorization request shows the account chooser, so a test always
  // says which person signs in, even with a cookie jar that still holds a provider session.
  loginPrompt.checks.add(new interactionPolicy.Check(
    'fc_test_always_login',
    'the test provider asks for an identity on every authorization request',
    (ctx) => !ctx.oidc.result?.login,
  ));

  const provider = new Provider(issuer, {
    clients: config.clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      ...(c.client_name ? { client_name: c.client_name } : {}),
      redirect_uris: c.redirect_uris,
      post_logout_redirect_uris: c.post_logout_redirect_uris ?? [],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // oidc-provider 9 accepts client_secret_basic and client_secret_post alike for a client
      // registered with either of them.
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'ES256',
      userinfo_signed_response_alg: 'ES256',
      subject_type: 'pairwise',
    })),
    jwks: { keys: [signingJwk] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },

    acrValues: ['eidas1', 'eidas2', 'eidas3'],
    scopes: ['openid'],
    claims: {
      // `acr` is part of the openid scope so that it is in every ID token, as with FranceConnect;
      // the other standalone claims can be asked for with the `claims` parameter (e.g. amr).
      openid: ['sub', 'acr'],
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
      ...FC_SCOPES,
    },
    conformIdTokenClaims: true, // identity claims go to userinfo only, the ID token has sub/acr/nonce…
    subjectTypes: ['pairwise'],
    pairwiseIdentifier: (ctx, accountId, client) => pairwiseSub(accountId, client.clientId),
    clientAuthMethods: ['client_secret_post', 'client_secret_basic'],
    responseTypes: ['code'],
    pkce: { required: () => config.pkceRequired },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256'],
      userinfoSigningAlgValues: ['ES256'],
    },
    features: {
      devInteractions: { enabled: false },
      jwtUserinfo: { enabled: true },
      claimsParameter: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // Rendered only when the automatic confirmation below fails: a plain form that a test can
        // submit (POST {issuer}/session/end/confirm with xsrf and logout=yes).
        async logoutSource(ctx, form) {
          ctx.body = page('Déconnexion', `<h1>Se déconnecter de FranceConnect ?</h1>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Se déconnecter</button>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Déconnexion', '<h1>Vous êtes déconnecté(e) de FranceConnect (fournisseur de test).</h1>');
        },
      },
      // Not part of FranceConnect; kept off so discovery looks like FranceConnect's.
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      resourceIndicators: { enabled: false },
    },

    async findAccount(ctx, id) {
      const account = ACCOUNTS.get(id);
      if (!account || !account.claims) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, ...account.claims };
        },
      };
    },

    // Consent is granted automatically: the grant is created or extended with whatever OIDC
    // scopes and claims the current request asks for, so the consent prompt never shows.
    async loadExistingGrant(ctx) {
      const { oidc } = ctx;
      const { accountId } = oidc.session;
      const clientId = oidc.client.clientId;
      const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(clientId);
      let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
      if (!grant || grant.accountId !== accountId || grant.clientId !== clientId) {
        grant = new oidc.provider.Grant({ accountId, clientId });
      }
      grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
      if (oidc.requestParamClaims.size) {
        grant.addOIDCClaims([...oidc.requestParamClaims]);
      }
      await grant.save();
      return grant;
    },

    interactions: {
      policy,
      url: (ctx, interaction) => `${issuer}/interaction/${interaction.uid}`,
    },

    ttl: {
      AccessToken: TTL.AccessToken,
      AuthorizationCode: TTL.AuthorizationCode,
      IdToken: (ctx, token) => (ACCOUNTS.get(token.available?.sub)?.behaviour === 'short-lived'
        ? TTL.ShortLivedIdToken : TTL.IdToken),
      Interaction: TTL.Interaction,
      Session: TTL.Session,
      Grant: TTL.Grant,
    },

    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = errorPage(out);
    },
  });

  // oidc-provider validates static clients lazily, on their first request: validate them now so
  // that a bad config stops the provider at start (e.g. a pairwise client whose redirect_uris are
  // on several hosts, which would need a sector_identifier_uri).
  for (const c of config.clients) {
    try {
      await provider.Client.find(c.client_id);
    } catch (err) {
      fail(`client ${c.client_id}: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}`);
    }
  }

  // Log the provider's own failures: they explain most "invalid_grant"-like surprises.
  for (const event of ['server_error', 'authorization.error', 'grant.error', 'userinfo.error',
    'end_session.error', 'end_session_confirm.error', 'discovery.error', 'jwks.error']) {
    provider.on(event, (ctx, err) => {
      console.log(`event ${event}: ${err?.message ?? err}${err?.error_description ? ` (${err.error_description})` : ''}`);
    });
  }

  // --- Koa middlewares, run in this order before oidc-provider's own routes. Paths are relative
  // to the issuer (the /api/v2 prefix has been stripped by the HTTP server below).

  // 1. One log line per request.
  provider.use(async (ctx, next) => {
    const started = Date.now();
    try {
      await next();
    } finally {
      console.log(`${new Date().toISOString()} ${ctx.method} ${ctx.req.originalUrl ?? ctx.url} -> ${ctx.status} (${Date.now() - started} ms)`);
    }
  });

  // 2. The login page: GET /interaction/:uid and POST /interaction/:uid/login.
  provider.use(async (ctx, next) => {
    const match = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(ctx.path);
    if (!match) return next();
    const [, uid, isLogin] = match;
    ctx.set('cache-control', 'no-store');
    try {
      if (!isLogin && ctx.method === 'GET') {
        await showInteraction(ctx, uid);
      } else if (isLogin && ctx.method === 'POST') {
        await submitLogin(ctx, uid);
      } else {
        ctx.status = 405;
        ctx.type = 'html';
        ctx.body = errorPage({ error: 'method_not_allowed' });
      }
    } catch (err) {
      ctx.status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
      if (ctx.status === 500) console.log(`interaction error: ${err.stack}`);
      ctx.type = 'html';
      ctx.body = errorPage({ error: err.error || err.name, error_description: err.error_description || err.message });
    }
  });

  async function interactionFor(ctx, uid) {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== uid) {
      throw Object.assign(new Error('interaction cookie and URL disagree'), { statusCode: 400, error: 'invalid_request' });
    }
    return interaction;
  }

  async function showInteraction(ctx, uid) {
    const interaction = await interactionFor(ctx, uid);
    if (interaction.prompt.name === 'consent') {
      // Reached only with prompt=consent (otherwise loadExistingGrant has granted everything):
      // answered without a page, by granting whatever is missing and resuming.
      const { details } = interaction.prompt;
      const grant = interaction.grantId
        ? await provider.Grant.find(interaction.grantId)
        : new provider.Grant({ accountId: interaction.session.accountId, clientId: interaction.params.client_id });
      if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
      if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
      const grantId = await grant.save();
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } });
      ctx.status = 303;
      ctx.redirect(returnTo);
      return;
    }
    ctx.type = 'html';
    ctx.body = loginPage(uid, `${issuer}/interaction/${uid}/login`, interaction.params);
  }

  async function submitLogin(ctx, uid) {
    const interaction = await interactionFor(ctx, uid);
    const form = await readForm(ctx);
    const login = form.get('login') ?? '';
    const account = ACCOUNTS.get(login);
    if (!account) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = loginPage(uid, `${issuer}/interaction/${uid}/login`, interaction.params, `Identité de test inconnue : « ${login} ».`);
      return;
    }

    let result;
    if (account.behaviour === 'deny') {
      result = { error: 'access_denied', error_description: "L'usager a refusé la connexion." };
    } else {
      // oidc-provider answers a change of person within one browser session with a page that
      // signs the old person out through JavaScript. To keep the flow free of JavaScript, the
      // previous provider session is dropped here instead, so the resume starts a fresh one.
      if (interaction.session?.accountId && interaction.session.accountId !== login) {
        const previous = interaction.session;
        interaction.session = undefined;
        await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
        const old = await provider.Session.find(previous.cookie);
        if (old) await old.destroy();
      }
      // FranceConnect's level is eidas1; `low-acr` gets a lower one and `no-acr` none at all.
      let acr = 'eidas1';
      if (account.behaviour === 'low-acr') acr = 'eidas0';
      if (account.behaviour === 'no-acr') acr = undefined;
      result = { login: { accountId: login, acr, amr: ['pwd'], remember: true } };
    }
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(returnTo);
  }

  async function readForm(ctx) {
    if (!ctx.is('application/x-www-form-urlencoded')) {
      throw Object.assign(new Error('expected an application/x-www-form-urlencoded body'), { statusCode: 400, error: 'invalid_request' });
    }
    const chunks = [];
    let size = 0;
    for await (const chunk of ctx.req) {
      size += chunk.length;
      if (size > 16 * 1024) throw Object.assign(new Error('body too large'), { statusCode: 413, error: 'invalid_request' });
      chunks.push(chunk);
    }
    return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  }

  // 3. RP-initiated logout without a confirmation page, as FranceConnect does: oidc-provider always
  // renders a form (POST /session/end/confirm with an xsrf token kept in the provider session);
  // here that form is submitted server-side at once and its redirect is passed on, so
  // GET /session/end answers 303 to post_logout_redirect_uri?state=... directly.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.method !== 'GET' || ctx.path !== '/session/end' || ctx.status !== 200) return;
    const secret = ctx.oidc?.session?.state?.secret;
    if (!secret) return;
    const cookies = new Map();
    for (const part of (ctx.get('cookie') || '').split(';')) {
      const i = part.indexOf('=');
      if (i > 0) cookies.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
    }
    for (const setCookie of [].concat(ctx.response.get('set-cookie') || [])) {
      const [pair] = setCookie.split(';');
      const i = pair.indexOf('=');
      if (i > 0) cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
    let confirm;
    try {
      confirm = await fetch(`${issuer}/session/end/confirm`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        },
        body: new URLSearchParams({ xsrf: secret, logout: 'yes' }).toString(),
      });
    } catch (err) {
      console.log(`automatic logout confirmation failed, showing the form: ${err.message}`);
      return;
    }
    if (confirm.status !== 303) {
      console.log(`automatic logout confirmation answered ${confirm.status}, showing the form`);
      return;
    }
    ctx.set('set-cookie', confirm.headers.getSetCookie());
    ctx.status = 303;
    ctx.redirect(confirm.headers.get('location'));
  });

  // 4. The `expired` account: its ID token is re-signed (same key and kid) with iat and exp in the
  // past. oidc-provider cannot issue that itself (ttl.IdToken must be a positive number).
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.method !== 'POST' || ctx.path !== '/token' || ctx.status !== 200) return;
    const idToken = ctx.body?.id_token;
    if (typeof idToken !== 'string') return;
    const payload = jose.decodeJwt(idToken);
    if (ACCOUNTS.get(accountForSub(payload.aud, payload.sub))?.behaviour !== 'expired') return;
    const now = Math.floor(Date.now() / 1000);
    Object.assign(payload, { iat: now - 900, exp: now - 600 });
    ctx.body.id_token = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader(jose.decodeProtectedHeader(idToken))
      .sign(privateKey);
  });

  // The provider is served under ISSUER_PATH: strip that prefix and keep the full URL in
  // req.originalUrl, from which oidc-provider derives the mount path of the URLs it builds.
  const callback = provider.callback();
  handler = (req, res) => {
    const { url } = req;
    if (url === ISSUER_PATH || url.startsWith(`${ISSUER_PATH}/`) || url.startsWith(`${ISSUER_PATH}?`)) {
      req.originalUrl = url;
      req.url = url.slice(ISSUER_PATH.length) || '/';
      callback(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`not found; the issuer is ${issuer}\n`);
  };

  // Nothing to flush (all state is in memory): stop at once, keep-alive connections included.
  const stop = () => {
    server.closeAllConnections();
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  console.log(`issuer ${issuer}; clients: ${config.clients.map((c) => c.client_id).join(', ')}`);
  console.log(`oidc-provider listening on ${origin}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
