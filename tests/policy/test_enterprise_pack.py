"""The generic enterprise pack, end to end through the real engine."""

import pytest

from warden.domain.context import CheckContext
from warden.domain.enums import AccountType, Direction
from warden.engine import Engine
from warden.policy.loader import builtin


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(builtin("enterprise"))


@pytest.mark.parametrize(
    ("text", "direction", "account", "action", "category"),
    [
        ("Our new range launches Monday, see you there!", "outbound", "corporate", "allow", None),
        ("What an idiot customer", "outbound", "corporate", "hold", "E03"),
        ("Bloody brilliant launch", "outbound", "corporate", "hold", "E04"),
        ("Bloody brilliant launch", "outbound", "personal_officer", "warn", "E04"),
        ("Email me at jo@example.com", "outbound", "corporate", "hold", "E05"),
        ("Sales up 50% this year!", "outbound", "personal_officer", "warn", "E09"),
        ("I'm going to kill you", "inbound", "corporate", "escalate_urgent", "threat"),
        ("My order number is late, email me at jo@example.com", "inbound", "corporate", "hide", "personal_data"),
        ("Your service is rubbish and I want a refund", "inbound", "corporate", "none", None),
    ],
)
def test_enterprise_pack(engine: Engine, text: str, direction: str, account: str, action: str,
                         category: str | None) -> None:
    decision = engine.check(text, CheckContext(direction=Direction(direction), account_type=AccountType(account)))
    assert decision.action.value == action, decision.categories
    if category:
        assert category in decision.categories
