"""Authlib's metadata validators, a strict reading of RFC 8414 §2 and OpenID Connect Discovery 1.0
§3 (and RP-Initiated Logout §2.1's `end_session_endpoint`), over the host's two documents.

usage: discovery.py ISSUER
Prints one JSON object: for each document, "ok" or the first rule it breaks.
The host serves plain http on loopback: the caller sets AUTHLIB_INSECURE_TRANSPORT, Authlib's
switch for that, so only the https rule is relaxed.
"""

import json
import sys
import urllib.request

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oidc import rpinitiated
from authlib.oidc.discovery import OpenIDProviderMetadata

issuer = sys.argv[1]
verdicts = {}
for path, metadata, extensions in [
    ("oauth-authorization-server", AuthorizationServerMetadata, []),
    ("openid-configuration", OpenIDProviderMetadata, [rpinitiated.OpenIDProviderMetadata]),
]:
    with urllib.request.urlopen(f"{issuer}/.well-known/{path}") as response:
        document = json.load(response)
    try:
        metadata(document).validate(metadata_classes=extensions)
        verdicts[path] = "ok"
    except ValueError as error:
        verdicts[path] = str(error)
print(json.dumps(verdicts))
