"""ID token validation (OpenID Connect Core 1.0, §3.1.3.7) with joserfc and Authlib's claim rules.

Order: the header's ``alg`` must be one of the configured asymmetric algorithms (so ``none`` and
HS256 signed with the public key as an HMAC secret are refused before any key is touched); the
key comes from the identity provider's JWKS by ``kid`` (refetched once on an unknown ``kid``);
joserfc checks the signature with that key and that algorithm only; then Authlib's
``CodeIDToken`` and joserfc's registry check ``iss``, ``aud``, ``exp``, ``iat``, ``nbf`` (with a
small leeway), ``azp`` and ``at_hash``; the ``nonce`` is compared in constant time here, and a
token with several audiences must name Warden in ``azp`` and list no audience Warden does not trust.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from authlib.oidc.core import CodeIDToken
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, JoseError

from warden.auth._time import require_aware
from warden.auth.oidc_errors import SsoTokenInvalid
from warden.auth.oidc_http import JwksCache

MAX_ID_TOKEN_CHARS = 64 * 1024


def validate_id_token(
    id_token: str,
    *,
    keys: JwksCache,
    algorithms: Collection[str],
    issuer: str,
    client_id: str,
    trusted_audiences: Collection[str],
    nonce: str,
    access_token: str | None,
    now: datetime,
    leeway: timedelta,
) -> dict[str, Any]:
    """The validated claims of ``id_token``; ``SsoTokenInvalid`` (with a ``reason``) otherwise."""
    now = require_aware(now, "now")
    if len(id_token) > MAX_ID_TOKEN_CHARS or not id_token.isascii():
        raise SsoTokenInvalid("the ID token is malformed", reason="malformed")
    try:
        header = jws.extract_compact(id_token.encode("ascii")).headers()
    except (JoseError, ValueError, TypeError):
        raise SsoTokenInvalid("the ID token is malformed", reason="malformed") from None
    alg, kid = header.get("alg"), header.get("kid")
    if not isinstance(alg, str) or alg not in algorithms:
        raise SsoTokenInvalid("the ID token is signed with an algorithm Warden does not accept", reason="alg")
    if kid is not None and not isinstance(kid, str):
        raise SsoTokenInvalid("the ID token is malformed", reason="malformed")

    key = keys.key_for(kid, alg)
    try:
        token = jwt.decode(id_token, key, algorithms=[alg])
    except BadSignatureError:
        raise SsoTokenInvalid("the ID token's signature does not verify", reason="signature") from None
    except (JoseError, ValueError, TypeError):
        raise SsoTokenInvalid("the ID token is malformed", reason="malformed") from None

    claims = dict(token.claims)
    id_claims = CodeIDToken(
        claims,
        token.header,
        options={
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
            "sub": {"essential": True},
        },
        params={"nonce": nonce, "client_id": client_id, "access_token": access_token},
    )
    try:
        id_claims.validate(now=int(now.timestamp()), leeway=int(leeway.total_seconds()))
    except ExpiredTokenError:
        raise SsoTokenInvalid("the ID token has expired", reason="exp") from None
    except ClaimError as exc:
        raise SsoTokenInvalid(f"the ID token's {exc.claim} claim is not valid", reason=exc.claim) from None
    except (JoseError, ValueError, TypeError):
        raise SsoTokenInvalid("the ID token's claims are not valid", reason="claims") from None

    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(token_nonce.encode(), nonce.encode()):
        raise SsoTokenInvalid("the ID token's nonce is not the one Warden sent", reason="nonce")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1:
        if claims.get("azp") != client_id:
            raise SsoTokenInvalid("an ID token with several audiences must name Warden in azp", reason="azp")
        if any(aud != client_id and aud not in trusted_audiences for aud in audiences):
            raise SsoTokenInvalid("the ID token is also meant for an audience Warden does not trust", reason="aud")
    return claims
