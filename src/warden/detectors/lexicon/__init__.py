"""Lexicons as data: YAML term lists per category, compiled once."""
