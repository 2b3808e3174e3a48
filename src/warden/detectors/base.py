"""The detector protocol: batches of texts in, findings out."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Protocol, runtime_checkable

from warden.detectors.normalise import Normalised, full, has_long_runs, light
from warden.domain.context import CheckContext
from warden.domain.findings import Finding


class TextItem:
    """One text to check, with its normal forms computed once, on demand."""

    __slots__ = ("__dict__", "context", "text")

    def __init__(self, text: str, context: CheckContext | None = None) -> None:
        self.text = text
        self.context = context or CheckContext()

    @cached_property
    def light(self) -> Normalised:
        return light(self.text)

    @cached_property
    def full(self) -> Normalised:
        return full(self.light)

    @cached_property
    def full_forms(self) -> tuple[Normalised, ...]:
        """``full``, plus a second form keeping doubled letters when the text
        has long runs ("killllll" reads as both "kil" and "kill")."""
        if has_long_runs(self.light):
            return (self.full, full(self.light, keep_doubles=True))
        return (self.full,)

    def finding(self, form: Normalised, start: int, end: int, **fields: object) -> Finding:
        """A finding for ``form.text[start:end]``, its span mapped to the original."""
        a, b = form.span(start, end)
        return Finding(start=a, end=b, text=self.text[a:b], matched=form.text[start:end], **fields)  # type: ignore[arg-type]


@runtime_checkable
class Detector(Protocol):
    """Finds evidence in texts. ``categories`` lists what it may report."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def categories(self) -> tuple[str, ...]: ...

    def detect(self, batch: Sequence[TextItem]) -> list[list[Finding]]:
        """One list of findings per item, in batch order."""
        ...


@runtime_checkable
class Scorer(Protocol):
    """A detector that also gives a probability per category for every text
    (learned classifiers), whether or not it crosses a threshold."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def score_categories(self) -> tuple[str, ...]: ...

    def scores(self, batch: Sequence[TextItem]) -> list[dict[str, float]]: ...
