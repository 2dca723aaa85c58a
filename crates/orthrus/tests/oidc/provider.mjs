// A real OpenID provider for Orthrus's single sign-on tests: panva's
// oidc-provider (OpenID certified), with its built-in login and consent
// pages (devInteractions) and open dynamic client registration, so each
// test registers a client with its own redirect URI.
//
//   node provider.mjs [port]     (0 or nothing: any free port)
//
// Listens on 127.0.0.1 only and prints `ready <issuer>` once it does.
//
// Accounts: any login name signs in (with any password). The name says
// who it is:
//   kim                 sub "kim", email kim@acme.test, verified
//   unverified-lee      email unverified-lee@acme.test, email_verified false
//   ana+it-admins+staff email ana@acme.test, groups ["it-admins", "staff"]
// Keys: a fresh RS256 and ES256 key at every start (clients pick with
// id_token_signed_response_alg).

import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const wanted = Number(process.argv[2] ?? 0);

function account(id) {
  const [name, ...groups] = id.split('+');
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: `${name}@acme.test`,
        email_verified: !name.startsWith('unverified'),
        name,
        groups,
      };
    },
  };
}

const jwk = (type, options, alg) => ({
  ...generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' }),
  alg,
  use: 'sig',
  kid: alg.toLowerCase(),
});

const server = createServer();
server.listen(wanted, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    findAccount: (ctx, id) => account(id),
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    // Put the claims in the ID token itself (as Keycloak and Google do).
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
    },
    jwks: {
      keys: [
        jwk('rsa', { modulusLength: 2048 }, 'RS256'),
        jwk('ec', { namedCurve: 'P-256' }, 'ES256'),
      ],
    },
    cookies: { keys: ['orthrus-test-cookie-key'] },
    pkce: { required: () => true },
  });
  // Warnings about the dev pages and the cookie key are expected here.
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  console.log(`ready ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
