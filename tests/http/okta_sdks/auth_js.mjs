// Okta's browser/Node SDK (`@okta/okta-auth-js`) against the host, for a public client (no
// secret): introspects the access token, then `signOut()`, which revokes the refresh and the
// access token (`revokeRefreshToken`, `revokeAccessToken` → `token.revoke`, each with
// `Authorization: Basic btoa(clientId)`, lib/oidc/revokeToken.ts) and then sends the browser to
// `end_session_endpoint` with `id_token_hint`, `post_logout_redirect_uri` and `state`; then
// introspects again.
//
// usage: node auth_js.mjs ISSUER CLIENT_ID ACCESS_TOKEN REFRESH_TOKEN ID_TOKEN POST_LOGOUT_URI STATE
// Prints one JSON object: `active` before and after, and the logout URL signOut() navigated to.
//
// signOut() reads `window.location` and navigates with `window.location.assign`: Node has no
// window, so a stand-in records where it was sent (the Rust test then follows that URL).
import { OktaAuth } from '@okta/okta-auth-js';

const [issuer, clientId, accessToken, refreshToken, idToken, postLogoutRedirectUri, state] =
  process.argv.slice(2);
const authClient = new OktaAuth({
  issuer,
  clientId,
  redirectUri: postLogoutRedirectUri,
  tokenManager: { storage: 'memory', autoRenew: false },
});
const access = { accessToken, claims: { iss: issuer } };
const before = await authClient.token.introspect('accessToken', access);

let navigatedTo = null;
globalThis.window = {
  location: {
    origin: new URL(postLogoutRedirectUri).origin,
    href: postLogoutRedirectUri,
    assign: (url) => { navigatedTo = url; },
  },
};
await authClient.signOut({
  accessToken: { accessToken },
  refreshToken: { refreshToken },
  idToken: { idToken },
  postLogoutRedirectUri,
  state,
});
const after = await authClient.token.introspect('accessToken', access);
console.log(JSON.stringify({ before: before.active, after: after.active, logout_url: navigatedTo }));
