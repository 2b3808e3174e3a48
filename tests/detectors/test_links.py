import pytest

from warden.detectors.base import TextItem
from warden.detectors.links import LinkDetector, host_of, lookalike_of
from warden.domain.context import CheckContext, LinkLists


def categories(text: str, allow: tuple[str, ...] = (), deny: tuple[str, ...] = ()) -> set[str]:
    item = TextItem(text, CheckContext(links=LinkLists(allow=allow, deny=deny)))
    return {f.category for f in LinkDetector().detect([item])[0]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Advice: https://www.northyorks.police.uk/advice", {"link.url"}),
        ("see bit.ly/3xYzAbc now", {"link.url", "link.shortener"}),
        ("http://192.168.4.20/claim", {"link.url", "link.ip_literal"}),
        ("verify at https://police-uk.com/login", {"link.url", "link.lookalike"}),
        ("pay at paypa1.com", {"link.url", "link.lookalike"}),
        ("https://gov.uk.secure-check.net/x", {"link.url", "link.lookalike"}),
        ("http://police.uk@evil.example/x", {"link.url", "link.lookalike"}),
        ("https://xn--pypal-4ve.com", {"link.url", "link.lookalike"}),
        ("no links here, just 3.5 stars and e.g. this", set()),
    ],
)
def test_link_categories(text: str, expected: set[str]) -> None:
    assert categories(text) == expected


def test_allow_and_deny_lists() -> None:
    assert categories("see https://example.org/a", allow=("gov.uk",)) == {"link.url", "link.unknown"}
    assert categories("see https://news.gov.uk/a", allow=("gov.uk",)) == {"link.url"}
    assert "link.denied" in categories("see https://bad.example.org", deny=("example.org",))


def test_span_is_the_url_without_trailing_punctuation() -> None:
    text = "Details (https://www.gov.uk/report)."
    finding = LinkDetector().detect([TextItem(text)])[0][0]
    assert text[finding.start:finding.end] == "https://www.gov.uk/report"


def test_helpers() -> None:
    assert host_of("https://user@Example.com:8080/x") == "Example.com"
    assert lookalike_of("northyorks.police.uk") is None
