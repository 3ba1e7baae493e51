"""Okta's Python management SDK (`okta` on PyPI) against the host: lists the authorization
servers and creates a scope on one, with the SDK's own `Authorization: SSWS<token>` header.

usage: management.py ORG_URL API_TOKEN SERVER_ID SCOPE_NAME
Prints one JSON object: the servers' ids and the created scope's id and name.
The host serves plain http on loopback: the SDK's documented environment switch
OKTA_TESTING_TESTINGDISABLEHTTPSCHECK lets it (the caller sets it).
"""

import asyncio
import json
import sys

from okta.client import Client
from okta.models import OAuth2Scope


async def main(org_url, token, server_id, scope_name):
    async with Client({"orgUrl": org_url, "token": token}) as client:
        servers, _, error = await client.list_authorization_servers()
        if error:
            raise SystemExit(f"list_authorization_servers: {error}")
        scope = OAuth2Scope(name=scope_name, description="Created by the okta Python SDK")
        created, _, error = await client.create_o_auth2_scope(server_id, scope)
        if error:
            raise SystemExit(f"create_o_auth2_scope: {error}")
        print(json.dumps({
            "servers": [server.id for server in servers],
            "scope": {"id": created.id, "name": created.name},
        }))


asyncio.run(main(*sys.argv[1:5]))
