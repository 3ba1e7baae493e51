// Okta's Node JWT verifier (`@okta/jwt-verifier`) against the host: verifies an access token and
// an ID token with the keys it fetches from `{issuer}/v1/keys`, and refuses an altered token.
//
// usage: node jwt_verifier.mjs ISSUER AUDIENCE CLIENT_ID ACCESS_TOKEN ID_TOKEN
// Prints one JSON object with the verified tokens' `sub` and whether the altered one was refused.
import OktaJwtVerifier from '@okta/jwt-verifier';

const [issuer, audience, clientId, accessToken, idToken] = process.argv.slice(2);
// The host serves plain http on loopback: the verifier's documented switch for that.
const verifier = new OktaJwtVerifier({ issuer, testing: { disableHttpsCheck: true } });
const access = await verifier.verifyAccessToken(accessToken, audience);
const id = await verifier.verifyIdToken(idToken, clientId);

const [header, payload, signature] = accessToken.split('.');
const claims = JSON.parse(Buffer.from(payload, 'base64url'));
claims.sub = 'someone-else';
const altered = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
let alteredRefused = false;
try {
  await verifier.verifyAccessToken(altered, audience);
} catch {
  alteredRefused = true;
}
console.log(JSON.stringify({
  access_token_sub: access.claims.sub,
  id_token_sub: id.claims.sub,
  altered_refused: alteredRefused,
}));
