"""A policy pack, as validated data.

A pack lists rules. Each rule names the finding categories that trigger it,
the principles and standards it protects, the action per account type, and
the words an author or moderator reads when it fires.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from warden.domain.enums import AccountType, Direction, InboundAction, OutboundAction

CATEGORY = re.compile(r"^[a-z][a-z0-9_]*(\.([a-z0-9_]+|\*))?$")
RULE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,40}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_categories(values: list[str]) -> list[str]:
    for value in values:
        if not CATEGORY.match(value):
            raise ValueError(f"{value!r} is not a category (e.g. 'pii.uk_phone', 'lexicon.threat', 'pii.*')")
    return values


class Condition(_Strict):
    """When a rule fires.

    ``any``: at least one finding of these categories (the rule's evidence).
    ``also_any``: and at least one of these as well, within ``near``
    characters of the evidence when ``near`` is set.
    ``also_all``: several such groups, each of which must be present.
    ``none``: but not if any of these is present anywhere in the text.
    """

    any: list[str] = Field(min_length=1)
    also_any: list[str] = Field(default_factory=list)
    also_all: list[list[str]] = Field(default_factory=list)
    near: int | None = Field(default=None, gt=0, le=10_000)
    none: list[str] = Field(default_factory=list)
    min_severity: int = Field(default=1, ge=1, le=3)
    min_score: float = Field(default=0.0, ge=0.0, le=1.0)

    _categories = field_validator("any", "also_any", "none")(_check_categories)

    @field_validator("also_all")
    @classmethod
    def _groups(cls, groups: list[list[str]]) -> list[list[str]]:
        for group in groups:
            if not group:
                raise ValueError("each group in 'also_all' needs at least one category")
            _check_categories(group)
        return groups

    @property
    def groups(self) -> list[list[str]]:
        """Every group that must be present besides the evidence."""
        return ([self.also_any] if self.also_any else []) + self.also_all

    @model_validator(mode="after")
    def _near_needs_also(self) -> Condition:
        if self.near is not None and not self.groups:
            raise ValueError("near: 'near' needs 'also_any' or 'also_all'")
        return self


class Escalation(_Strict):
    """A stricter action when context or further evidence says so."""

    when_any: list[str] = Field(default_factory=list)
    election_period: bool = False
    action: str

    _categories = field_validator("when_any")(_check_categories)

    @model_validator(mode="after")
    def _has_trigger(self) -> Escalation:
        if not self.when_any and not self.election_period:
            raise ValueError("when_any: an escalation needs 'when_any' or 'election_period: true'")
        return self


class PerAccount(_Strict):
    corporate: str
    neighbourhood: str
    personal_officer: str

    def for_account(self, account_type: AccountType) -> str:
        return str(getattr(self, account_type.value))


class Rule(_Strict):
    id: str
    # The policy category the rule belongs to (e.g. "R15"); several rules may
    # share one. Defaults to the rule id.
    category: str = ""
    title: str = Field(min_length=3, max_length=200)
    direction: Direction
    principles_2014: list[str] = Field(default_factory=list)
    principles_2024: list[str] = Field(default_factory=list)
    standards: list[str] = Field(default_factory=list)
    why: str = Field(min_length=10)
    safer_alternative: str = ""
    when: Condition
    action: Annotated[str | PerAccount, Field(union_mode="left_to_right")]
    escalate: list[Escalation] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _rule_id(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError(f"{value!r} is not a rule id (letters, digits, '_' or '-')")
        return value

    @property
    def category_id(self) -> str:
        return self.category or self.id

    @property
    def named_categories(self) -> list[str]:
        """Every detector category the rule names, in its conditions and its escalations."""
        when = self.when
        return [*when.any, *when.also_any, *when.none, *(c for e in self.escalate for c in e.when_any)]

    @model_validator(mode="after")
    def _actions_fit_direction(self) -> Rule:
        allowed = {a.value for a in (OutboundAction if self.direction is Direction.OUTBOUND else InboundAction)}
        named = [("action", self.action)] if isinstance(self.action, str) else [
            (f"action.{a.value}", self.action.for_account(a)) for a in AccountType]
        named += [(f"escalate[{i}].action", e.action) for i, e in enumerate(self.escalate)]
        for key, action in named:
            if action not in allowed:
                raise ValueError(
                    f"{key}: {action!r} is not allowed for {self.direction.value} rules; "
                    f"use one of: {', '.join(sorted(allowed))}")
        return self


class Pattern(_Strict):
    """An organisation's own pattern, compiled with RE2 (linear time)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")
    category: str = Field(pattern=r"^custom\.[a-z][a-z0-9_]{0,40}$")
    regex: str = Field(min_length=1, max_length=1000)
    severity: int = Field(default=2, ge=1, le=3)
    explanation: str = ""


class Registers(_Strict):
    active_proceedings: list[str] = Field(default_factory=list)
    anonymity: list[str] = Field(default_factory=list)
    operations: list[str] = Field(default_factory=list)


class Links(_Strict):
    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)


class Settings(_Strict):
    # The escalation rule of the UK reference: a corporate account gets at
    # least HOLD wherever a personal account would get WARN.
    corporate_warn_becomes: Literal["warn", "hold"] = "hold"
    # A post that fell due while Warden was down goes out late only within
    # this window; after it, the post is marked missed and someone is alerted.
    late_publish_minutes: int = Field(default=30, ge=0, le=1440)
    # Apply an inbound "hide" on the network at once (else Warden hides it on
    # screen and a moderator decides).
    auto_hide: bool = True
    # The automatic public reply to a "redirect" message (e.g. a crime
    # reported in a comment); empty means no automatic reply.
    redirect_reply: str = Field(default="", max_length=280)


class PolicyPack(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9\-]{1,60}$")
    name: str
    version: str
    description: str = ""
    principles_2014: list[str] = Field(default_factory=list)
    principles_2024: list[str] = Field(default_factory=list)
    standards: dict[str, str] = Field(default_factory=dict)
    settings: Settings = Field(default_factory=Settings)
    patterns: list[Pattern] = Field(default_factory=list)
    registers: Registers = Field(default_factory=Registers)
    links: Links = Field(default_factory=Links)
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> PolicyPack:
        seen: set[str] = set()
        for index, rule in enumerate(self.rules):
            if rule.id in seen:
                raise ValueError(f"rules[{index}].id: duplicate rule id {rule.id!r}")
            seen.add(rule.id)
            for key, values, vocabulary in (
                ("principles_2014", rule.principles_2014, self.principles_2014),
                ("principles_2024", rule.principles_2024, self.principles_2024),
                ("standards", rule.standards, list(self.standards)),
            ):
                unknown = [v for v in values if vocabulary and v not in vocabulary]
                if unknown:
                    raise ValueError(f"rules[{index}].{key}: unknown {', '.join(map(repr, unknown))}")
        names = [p.name for p in self.patterns]
        if len(names) != len(set(names)):
            raise ValueError("patterns: duplicate pattern name")
        return self
