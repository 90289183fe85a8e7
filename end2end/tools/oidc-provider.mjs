// A real OpenID Connect provider on 127.0.0.1 that stands in for Google in end-to-end and
// integration tests. It is built on the `oidc-provider` package (9.x) with its built-in
// development login page, an in-memory store, and one confidential client.
//
// Usage: node oidc-provider.mjs        (configured entirely by environment variables)
//
//   OP_PORT            port to listen on; 0 or absent = any free port. Always binds 127.0.0.1.
//   OP_CLIENT_ID       client_id of the single registered client (default "roster-test").
//   OP_CLIENT_SECRET   its client_secret (default "roster-test-secret"); the token endpoint
//                      takes it as client_secret_basic or client_secret_post.
//   OP_REDIRECT_URIS   comma-separated redirect URIs registered for the client (required).
//   OP_ACCOUNTS_FILE   optional JSON file: { "<login>": { <claims> }, ... }. Re-read on every
//                      account lookup, so a test may rewrite it between two sign-ins.
//   OP_EXTRA_CLAIMS    optional comma-separated names of further custom claims to release
//                      (claims found in OP_ACCOUNTS_FILE at start-up are released anyway).
//   OP_ALWAYS_LOGIN    "1": show the login form on every authorization request, even when the
//                      browser still has a session here (default: single sign-on, like Google).
//   OP_PKCE_OPTIONAL   "1": do not require PKCE (default: PKCE with S256 is required).
//
// stdout carries exactly one JSON line once listening:
//   {"listening": <port>, "issuer": "http://127.0.0.1:<port>"}
// Everything else (the library's notices and warnings, errors) goes to stderr.
// SIGTERM / SIGINT close the server and exit 0.
//
// Claims. The ID token itself carries the claims (no userinfo call needed) when the client asks
// for the scopes `openid email profile`:
//   openid  -> sub, hd, roles, groups, and every other non-standard claim name (see above)
//   email   -> email, email_verified
//   profile -> name, given_name, family_name, picture, locale, ... (standard profile claims)
// `sub` is always the login name typed into the form (so it is stable per login). Default claims
// for a login absent from the accounts file: email = login, email_verified = true,
// name = part before "@", hd = part after "@". An accounts-file entry is merged over those
// defaults; give a claim the value null to leave it out (e.g. "hd": null for a gmail.com user).
//
// What a browser test does (the built-in development pages of oidc-provider 9.x):
//   Login page  (GET /interaction/<uid>, <title>Sign-in</title>, <h1>Sign-in</h1>):
//     fill  input[name="login"]     (placeholder "Enter any login")  -> the login, e.g. an email
//     fill  input[name="password"]  (placeholder "and password")     -> anything non-empty
//     click button[type="submit"]   (text "Sign-in")
//   There is also a "[ Cancel ]" link, which ends the flow with error=access_denied.
//   Consent page: never shown for the configured client, because loadExistingGrant below grants
//   whatever it requests. (Were it shown, it has <h1>Authorize</h1> and a "Continue" button.)
//   After sign-in the browser is redirected to the client's redirect_uri with
//   ?code=...&state=...&iss=<issuer> (the RFC 9207 `iss` parameter, which Google sends too).
//   Within one browser context a later sign-in skips the login page (session cookie op_session),
//   unless OP_ALWAYS_LOGIN=1 or the request carries prompt=login. Signing in as a different
//   login over an existing session passes through a self-submitting "Submitting Callback" page
//   (JavaScript ends the old session here) before the redirect; Chromium needs no action.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

// oidc-provider prints its "you should change this default" notices with console.info, which
// would pollute stdout; the test harness parses stdout, so send all console chatter to stderr.
// This must happen before the library is loaded (it may print while loading).
console.log = console.error;
console.info = console.error;

const { default: Provider, interactionPolicy } = await import('oidc-provider');

// ---------------------------------------------------------------------------------------------
// Configuration from the environment

const env = process.env;
const port = Number(env.OP_PORT || 0);
const clientId = env.OP_CLIENT_ID || 'roster-test';
const clientSecret = env.OP_CLIENT_SECRET || 'roster-test-secret';
const redirectUris = (env.OP_REDIRECT_URIS || '').split(',').map((s) => s.trim()).filter(Boolean);
const accountsFile = env.OP_ACCOUNTS_FILE || '';
const alwaysLogin = env.OP_ALWAYS_LOGIN === '1';
const pkceOptional = env.OP_PKCE_OPTIONAL === '1';

function die(message) {
  process.stderr.write(`oidc-provider.mjs: ${message}\n`);
  process.exit(1);
}

if (!redirectUris.length) die('OP_REDIRECT_URIS must list at least one redirect URI');

// ---------------------------------------------------------------------------------------------
// Accounts

// Read the accounts file afresh each time so that claim changes made by a test between two
// sign-ins are seen. A missing file means "no overrides"; a malformed one is an error in the
// test, so it is reported loudly rather than silently falling back to defaults.
function readAccounts() {
  if (!accountsFile) return {};
  let text;
  try {
    text = readFileSync(accountsFile, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return {};
    throw err;
  }
  const parsed = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${accountsFile} must hold a JSON object mapping login -> claims`);
  }
  return parsed;
}

// Google-like defaults derived from the login name alone.
function defaultClaims(login) {
  const at = login.lastIndexOf('@');
  const claims = {
    email: login,
    email_verified: true,
    name: at > 0 ? login.slice(0, at) : login,
  };
  if (at > 0) claims.hd = login.slice(at + 1);
  return claims;
}

function claimsFor(login) {
  let entry = {};
  try {
    entry = readAccounts()[login] ?? {};
  } catch (err) {
    process.stderr.write(`oidc-provider.mjs: cannot read ${accountsFile}: ${err.message}\n`);
    throw err;
  }
  const claims = { ...defaultClaims(login), ...entry };
  for (const [key, value] of Object.entries(claims)) {
    if (value === null) delete claims[key];
  }
  // The subject is the login itself: stable across sign-ins and claim changes. (oidc-provider
  // overwrites `sub` with the accountId anyway, so a `sub` in the file could not take effect.)
  claims.sub = login;
  return claims;
}

// ---------------------------------------------------------------------------------------------
// Which claims are released, and for which scopes.
//
// oidc-provider only ever releases claims that are declared here, and only for the scopes they
// are declared under. Custom claims (hd, roles, ...) are put under `openid`, so any OpenID
// request gets them, just as Google always includes `hd`.

const EMAIL_CLAIMS = ['email', 'email_verified'];
const PROFILE_CLAIMS = [
  'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username',
  'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
];
const ADDRESS_CLAIMS = ['address'];
const PHONE_CLAIMS = ['phone_number', 'phone_number_verified'];
// Claims the protocol itself manages; they must not be re-declared as custom claims.
const PROTOCOL_CLAIMS = [
  'sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'nonce', 'auth_time', 'acr', 'amr', 'azp',
  'sid', 'at_hash', 'c_hash', 's_hash',
];

const customClaims = new Set(['hd', 'roles', 'groups']);
for (const name of (env.OP_EXTRA_CLAIMS || '').split(',')) {
  if (name.trim()) customClaims.add(name.trim());
}
// The claim set is fixed when the provider is built, so collect whatever the accounts file
// mentions at start-up. A claim name first introduced later needs OP_EXTRA_CLAIMS.
try {
  for (const entry of Object.values(readAccounts())) {
    if (entry && typeof entry === 'object') Object.keys(entry).forEach((k) => customClaims.add(k));
  }
} catch (err) {
  die(`cannot read ${accountsFile}: ${err.message}`);
}
for (const name of [...EMAIL_CLAIMS, ...PROFILE_CLAIMS, ...ADDRESS_CLAIMS, ...PHONE_CLAIMS,
  ...PROTOCOL_CLAIMS]) {
  customClaims.delete(name);
}

// ---------------------------------------------------------------------------------------------
// Interactions

// Only the login prompt needs a human. Consent is granted automatically (see
// loadExistingGrant), so the default policy is kept as is, plus an optional "always log in".
const policy = interactionPolicy.base();
if (alwaysLogin) {
  const { Check } = interactionPolicy;
  policy.get('login').checks.add(new Check(
    'always_login',
    'this test provider is configured to authenticate on every request',
    'login_required',
    // Satisfied only by a login submitted during this very authorization request; otherwise
    // resuming after the form would ask for the login again, forever.
    (ctx) => (ctx.oidc.result?.login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT),
  ));
}

// Called once the user is known. Returning a grant that already covers the requested scopes
// and claims makes the consent prompt unnecessary, so a browser test only sees the login page.
async function loadExistingGrant(ctx) {
  const { oidc } = ctx;
  const { Grant } = oidc.provider;
  const accountId = oidc.account.accountId;
  const clientIdHere = oidc.client.clientId;

  const existingId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(clientIdHere);
  let grant = existingId ? await Grant.find(existingId) : undefined;
  // A grant belongs to one account; after signing in as someone else start a fresh one.
  if (!grant || grant.accountId !== accountId || grant.clientId !== clientIdHere) {
    grant = new Grant({ accountId, clientId: clientIdHere });
  }
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
  const requestedClaims = [...oidc.requestParamClaims];
  if (requestedClaims.length) grant.addOIDCClaims(requestedClaims);
  await grant.save();
  return grant;
}

// ---------------------------------------------------------------------------------------------
// Keys

// A fresh RSA key per run: relying parties fetch it from jwks_uri, nothing needs to persist.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: `test-${randomBytes(6).toString('hex')}`,
  alg: 'RS256',
  use: 'sig',
};

// ---------------------------------------------------------------------------------------------
// Error page

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// The default error page imports a Google web font; a self-contained page keeps tests offline
// and the error visible in screenshots and logs.
async function renderError(ctx, out, error) {
  process.stderr.write(`oidc-provider.mjs: error page: ${JSON.stringify(out)}${error?.stack ? `\n${error.stack}` : ''}\n`);
  ctx.type = 'html';
  ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>OpenID provider error</title></head>
<body><h1>OpenID provider error</h1>
${Object.entries(out).map(([k, v]) => `<p><strong>${escapeHtml(k)}</strong>: ${escapeHtml(v)}</p>`).join('\n')}
</body></html>`;
}

// ---------------------------------------------------------------------------------------------
// Server
//
// The issuer must contain the real port, which is only known after listening when OP_PORT is 0.
// So the HTTP server is started first and the provider is built and attached afterwards.

let handler = (req, res) => {
  res.statusCode = 503;
  res.end('starting\n');
};
const server = createServer((req, res) => handler(req, res));
server.on('error', (err) => die(err.message));

server.listen(port, '127.0.0.1', () => {
  const actualPort = server.address().port;
  const issuer = `http://127.0.0.1:${actualPort}`;

  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // oidc-provider 9 treats the two shared-secret methods as interchangeable, so the token
      // endpoint accepts the secret in an HTTP Basic header or in the form body (not both).
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    }],
    jwks: { keys: [signingKey] },
    cookies: {
      // Cookies are scoped by host, not port: the app under test on another 127.0.0.1 port sees
      // these too, so use names that cannot collide with the app's own cookies.
      names: {
        session: 'op_session',
        interaction: 'op_interaction',
        resume: 'op_interaction_resume',
      },
      // Signing keys; random is fine since sessions need not survive a restart.
      keys: [randomBytes(32).toString('hex')],
    },
    findAccount: async (ctx, sub) => ({
      accountId: sub,
      // Resolved per use (ID token, userinfo), so each token reflects the file at that moment.
      claims: async () => claimsFor(sub),
    }),
    claims: {
      openid: ['sub', ...customClaims],
      email: EMAIL_CLAIMS,
      profile: PROFILE_CLAIMS,
      address: ADDRESS_CLAIMS,
      phone: PHONE_CLAIMS,
    },
    // By default oidc-provider puts only `sub` (and protocol claims) in an ID token that comes
    // with an access token, expecting scope claims to be fetched from userinfo. Google puts
    // them in the ID token, and so must we.
    conformIdTokenClaims: false,
    interactions: { policy },
    loadExistingGrant,
    pkce: { required: () => !pkceOptional },
    features: {
      devInteractions: { enabled: true },
      userinfo: { enabled: true },
      // RP-initiated logout is on by default; harmless and occasionally handy for tests.
      rpInitiatedLogout: { enabled: true },
    },
    // Explicit lifetimes (seconds), which also silences the "change this default" notices.
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 120,
      IdToken: 3600,
      Interaction: 3600,
      Session: 24 * 3600,
      Grant: 24 * 3600,
    },
    // Browsers never call the token endpoint here; answer CORS permissively rather than
    // printing a notice for every preflight.
    clientBasedCORS: () => true,
    renderError,
  });

  provider.on('server_error', (ctx, err) => {
    process.stderr.write(`oidc-provider.mjs: server_error: ${err.stack || err}\n`);
  });

  // The built-in login page imports a Google web font; drop it so the page loads without any
  // outside network access (a hanging font request would delay Playwright's "load" event).
  provider.use(async (ctx, next) => {
    await next();
    if (typeof ctx.body === 'string' && ctx.type === 'text/html') {
      ctx.body = ctx.body.replace(/@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);?/g, '');
    }
  });

  handler = provider.callback();
  process.stdout.write(`${JSON.stringify({ listening: actualPort, issuer })}\n`);
});

function stop() {
  server.close(() => process.exit(0));
  // Keep-alive connections (e.g. a browser) could hold close() open; don't wait for them.
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
