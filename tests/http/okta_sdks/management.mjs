// Okta's Node management SDK (`@okta/okta-sdk-nodejs`) against the host: lists the
// authorization servers and creates a scope on one, with its `Authorization: SSWS <token>`.
//
// usage: node management.mjs ORG_URL API_TOKEN SERVER_ID SCOPE_NAME
// Prints one JSON object: the servers' ids and the created scope's id and name.
import okta from '@okta/okta-sdk-nodejs';

const [orgUrl, token, serverId, scopeName] = process.argv.slice(2);
// The host serves plain http on loopback (the SDK itself does not insist on https).
const client = new okta.Client({ orgUrl, token });
const servers = [];
const collection = await client.authorizationServerApi.listAuthorizationServers();
await collection.each((server) => { servers.push(server.id); });
const scope = await client.authorizationServerApi.createOAuth2Scope({
  authServerId: serverId,
  oAuth2Scope: { name: scopeName, description: 'Created by @okta/okta-sdk-nodejs' },
});
console.log(JSON.stringify({ servers, scope: { id: scope.id, name: scope.name } }));
