"""Every setting is declared once, validated, and documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from community.settings import SPECS, Settings, SettingsError

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize("name", [spec.name for spec in SPECS])
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in README, f"{name} is missing from the README's configuration table"


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings.from_env({"COMMUNITY_DATA_DIR": str(tmp_path)})
    second = Settings.from_env({"COMMUNITY_DATA_DIR": str(tmp_path)})
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_defaults_use_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({"COMMUNITY_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite://{tmp_path / 'community.sqlite3'}"
    assert settings.partner_tiers == ("registered", "silver", "gold")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COMMUNITY_DATABASE_URL", "mysql://x"),
        ("COMMUNITY_PAGE_SIZE", "many"),
        ("COMMUNITY_PAGE_SIZE", "0"),
        ("COMMUNITY_BASE_URL", "example.com"),
        ("COMMUNITY_LOG_LEVEL", "loud"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"COMMUNITY_DATA_DIR": str(tmp_path), name: value})
