"""Pure, storage-independent security primitives (OWASP ASVS 4.0.3 level 2 is the yardstick).

Nothing here touches a database, the network or the web framework: the storage and web layers
call these functions and keep what they return.

- ``passwords``   argon2id hashing, timing-equal verification, the password policy (ASVS V2.1, V2.4)
- ``totp``        TOTP enrolment and replay-safe verification, recovery codes (ASVS V2.6, V2.8)
- ``tokens``      API tokens, browser session ids and lifetimes, CSRF tokens (ASVS V3, V4.2.2)
- ``credentials`` encryption at rest of network credentials with rotatable keys (ASVS V6)
- ``redaction``   ``Secret`` wrapper and ``redact`` helpers so secrets are never logged (ASVS 7.1.1)
- ``throttle``    login throttling with exponential back-off (ASVS 2.2.1)
- ``throttle_sql`` its store in the database, shared by every process (the one module here that
                  touches storage: an adapter over ``storage.tables.ThrottleCounter``)
- ``oidc``        OpenID Connect single sign-on, relying party (``oidc_*``: models, HTTP, ID tokens, errors)
- ``stepup``      step-up re-authentication for sensitive actions (ASVS 3.7.1)
- ``keys``        key decoding and per-purpose key derivation
- ``errors``      the ``WardenError`` subclasses raised here, each with a stable ``code``
"""
