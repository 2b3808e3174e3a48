"""Every detector Warden knows, by name. The pipeline is built from here."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from warden.detectors.base import Detector
from warden.domain.errors import ConfigurationError

DetectorFactory = Callable[[], Detector]

_FACTORIES: dict[str, DetectorFactory] = {}
# Registered but left out of the default set: created only when named (the
# deeper ML tier, ~100x the fast tier's cost per text).
_OPT_IN: set[str] = set()


def register(name: str, opt_in: bool = False) -> Callable[[DetectorFactory], DetectorFactory]:
    """Class or function decorator adding a detector factory to the registry.
    An ``opt_in`` detector is created only when asked for by name."""

    def add(factory: DetectorFactory) -> DetectorFactory:
        if name in _FACTORIES:
            raise ConfigurationError(f"detector {name!r} registered twice")
        _FACTORIES[name] = factory
        if opt_in:
            _OPT_IN.add(name)
        return factory

    return add


def _load_builtins() -> None:
    # Importing the modules runs their @register decorators.
    from warden.detectors import (  # noqa: F401
        links,
        patterns,
        registers,
    )
    from warden.detectors.lexicon import detector as _lexicon  # noqa: F401
    from warden.detectors.ml import deep_registration as _deep  # noqa: F401
    from warden.detectors.ml import detector as _ml  # noqa: F401
    from warden.detectors.pii import detectors as _pii  # noqa: F401


def available() -> list[str]:
    _load_builtins()
    return sorted(_FACTORIES)


def named_by(categories: Iterable[str]) -> list[str]:
    """The opt-in detectors whose categories (``<name>.<category>``) appear in
    ``categories``: a policy pack opts in to a detector by naming its output."""
    _load_builtins()
    named = tuple(categories)
    return sorted(n for n in _OPT_IN if any(c.startswith(f"{n}.") for c in named))


def create(names: Iterable[str] | None = None, categories: Iterable[str] = ()) -> list[Detector]:
    """Instantiate the named detectors; by default every registered one except
    the opt-in ones (such as ``ml_deep``), plus the opt-in ones whose
    categories appear in ``categories`` (those a policy's rules name)."""
    _load_builtins()
    chosen = list(names) if names is not None else sorted(
        {n for n in _FACTORIES if n not in _OPT_IN} | set(named_by(categories)))
    unknown = [n for n in chosen if n not in _FACTORIES]
    if unknown:
        raise ConfigurationError(f"unknown detector(s): {', '.join(unknown)}; known: {', '.join(sorted(_FACTORIES))}")
    return [_FACTORIES[n]() for n in chosen]
