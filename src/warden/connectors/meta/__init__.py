"""Meta's Graph API: Facebook Pages (``facebook``) and Instagram professional
accounts (``instagram``), with the signed webhooks both push (``webhooks``).

``graph`` sends requests, ``limits`` turns Graph errors and usage headers into
connector errors, ``fields`` reads hostile values, ``marks`` is the fetch
cursor, ``account`` holds what both connectors share, ``facebook_inbound`` and
``instagram_inbound`` read the polled streams and ``instagram_publish`` runs
Instagram's container flow.
"""
