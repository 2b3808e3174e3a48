"""Options shared by commands that check text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from warden.domain.context import CheckContext, LinkLists, Registers
from warden.domain.enums import AccountType, Direction
from warden.domain.errors import InvalidInput

MAX_REGISTER_BYTES = 5_000_000


def load_registers(path: Path | None) -> tuple[Registers, LinkLists]:
    """A YAML file with ``active_proceedings``, ``anonymity``, ``operations``
    (lists of names) and optionally ``links: {allow, deny}``."""
    if path is None:
        return Registers(), LinkLists()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read registers file {path}: {exc.strerror}") from exc
    if len(raw) > MAX_REGISTER_BYTES:
        raise InvalidInput(f"registers file {path} is larger than {MAX_REGISTER_BYTES} bytes")
    try:
        data: Any = yaml.safe_load(raw.decode("utf-8")) or {}
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"registers file {path} is not valid UTF-8 YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"registers file {path}: expected a mapping")
    allowed = {"active_proceedings", "anonymity", "operations", "links"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidInput(f"registers file {path}: unknown key(s) {', '.join(unknown)}; "
                           f"expected {', '.join(sorted(allowed))}")

    def names(key: str, source: dict[str, Any]) -> tuple[str, ...]:
        value = source.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise InvalidInput(f"registers file {path}: '{key}' must be a list of non-empty strings")
        return tuple(value)

    links = data.get("links") or {}
    if not isinstance(links, dict):
        raise InvalidInput(f"registers file {path}: 'links' must be a mapping with 'allow' and 'deny'")
    return (Registers(names("active_proceedings", data), names("anonymity", data), names("operations", data)),
            LinkLists(names("allow", links), names("deny", links)))


def build_context(direction: str, account_type: str, registers: Path | None, election_period: bool) -> CheckContext:
    found, links = load_registers(registers)
    return CheckContext(direction=Direction(direction), account_type=AccountType(account_type),
                        registers=found, links=links, election_period=election_period)
