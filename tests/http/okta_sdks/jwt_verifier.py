"""Okta's Python JWT verifier (`okta-jwt-verifier` on PyPI) against the host: verifies an access
token and an ID token with the keys it fetches from `{issuer}/v1/keys`, and refuses an access
token whose payload was altered.

usage: jwt_verifier.py ISSUER AUDIENCE CLIENT_ID ACCESS_TOKEN ID_TOKEN
Prints one JSON object with the verified tokens' `sub` and whether the altered token was refused.
The verifier insists on an https issuer and has no switch for it; the host serves plain http on
loopback, so only that check is relaxed here (everything the verifier checks about the tokens
runs unchanged).
"""

import asyncio
import base64
import json
import sys

from okta_jwt_verifier import AccessTokenVerifier, IDTokenVerifier, config_validator
from okta_jwt_verifier.exceptions import JWTValidationException
from okta_jwt_verifier.jwt_utils import JWTUtils

_validate_issuer = config_validator.ConfigValidator.validate_issuer
config_validator.ConfigValidator.validate_issuer = (
    lambda self, issuer=None, https_check=True: _validate_issuer(self, issuer, https_check=False)
)


def altered(token):
    """The token with `sub` changed in its payload and the signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return ".".join([header, payload, signature])


async def main(issuer, audience, client_id, access_token, id_token):
    access = AccessTokenVerifier(issuer=issuer, audience=audience)
    await access.verify(access_token)
    await IDTokenVerifier(issuer=issuer, client_id=client_id).verify(id_token)
    try:
        await access.verify(altered(access_token))
        altered_refused = False
    except JWTValidationException:
        altered_refused = True
    print(json.dumps({
        "access_token_sub": JWTUtils.parse_token(access_token)[1]["sub"],
        "id_token_sub": JWTUtils.parse_token(id_token)[1]["sub"],
        "altered_refused": altered_refused,
    }))


asyncio.run(main(*sys.argv[1:6]))
