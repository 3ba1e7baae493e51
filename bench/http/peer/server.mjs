// The peer for bench/http/compare.sh: panva/node-oidc-provider with the same shape as org.json
// (one client_secret_basic client allowed client_credentials, one scope `read`, JWT access
// tokens for one resource server), so both servers do the same work per request.
//
//   PORT=3000 ALG=RS256 TOKEN_FORMAT=jwt node server.mjs
//   ALG: RS256 | ES256 | PS256 | EdDSA (access-token signature); TOKEN_FORMAT: jwt | opaque
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT ?? 3000);
const alg = process.env.ALG ?? 'RS256';
const format = process.env.TOKEN_FORMAT ?? 'jwt';
const audience = 'api://default';

const jwk = (type, options) => generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' });
// OpenID Connect needs an RS256 key whatever the access tokens use.
const keys = [{ ...jwk('rsa', { modulusLength: 2048 }), kid: 'rs256', use: 'sig', alg: 'RS256' }];
const extra = {
  ES256: () => ({ ...jwk('ec', { namedCurve: 'P-256' }), kid: 'es256', alg: 'ES256' }),
  PS256: () => ({ ...jwk('rsa', { modulusLength: 2048 }), kid: 'ps256', alg: 'PS256' }),
  EdDSA: () => ({ ...jwk('ed25519'), kid: 'eddsa', alg: 'EdDSA' }),
};
if (extra[alg]) keys.unshift({ ...extra[alg](), use: 'sig' });
else if (alg !== 'RS256') throw new Error(`ALG ${alg} is not one of RS256, ES256, PS256, EdDSA`);

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'bench-client',
    client_secret: 'bench-secret-0123456789abcdef0123456789abcdef',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'read',
  }],
  jwks: { keys },
  cookies: { keys: ['bench-only-cookie-key'] },
  scopes: ['read'],
  enabledJWA: {
    authorizationSigningAlgValues: ['RS256', 'ES256', 'PS256', 'EdDSA'],
    idTokenSigningAlgValues: ['RS256', 'ES256', 'PS256', 'EdDSA'],
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => audience,
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({
        scope: 'read',
        audience,
        accessTokenTTL: 3600,
        accessTokenFormat: format,
        ...(format === 'jwt' ? { jwt: { sign: { alg } } } : {}),
      }),
    },
  },
});
provider.on('server_error', (_ctx, error) => console.error('server_error', error));
const server = provider.listen(port, '127.0.0.1', () =>
  console.log(`node-oidc-provider on http://127.0.0.1:${port} (pid ${process.pid}, ${format}, ${alg})`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
