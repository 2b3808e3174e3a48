import pytest

from warden.domain.errors import ConfigurationError
from warden.settings import Settings, get_settings


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDEN_POLICY", "enterprise")
    monkeypatch.setenv("WARDEN_MAX_TEXT_CHARS", "1000")
    settings = Settings()
    assert settings.policy == "enterprise" and settings.max_text_chars == 1000


def test_invalid_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDEN_MAX_TEXT_CHARS", "lots")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="WARDEN_MAX_TEXT_CHARS"):
            get_settings()
    finally:
        get_settings.cache_clear()
