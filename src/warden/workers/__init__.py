"""The live pipeline's workers: small steps over the database's work tables
(fetch, file, publish, reconcile, network tasks), each with an explicit
commit, run as threads by ``warden serve`` or dispatched by Dramatiq to
``warden worker`` processes."""
