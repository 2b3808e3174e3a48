"""Thin routers: parse, call the workflow (or a read query), serialise."""
