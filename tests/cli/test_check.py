"""The ``warden`` command, run as a real process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest


def warden(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "warden", *args], input=stdin, capture_output=True, timeout=120,
                          check=False)


def test_check_text_explains() -> None:
    result = warden("check", "Another idiot driver doing 90 in a 30")
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert out.startswith("HOLD")
    assert "[[idiot" in out and "R15" in out and "why:" in out and "Respect" in out


def test_check_json_and_account_type() -> None:
    corporate = json.loads(warden("check", "--format", "json", "Off my face after shift lol").stdout)
    personal = json.loads(warden("check", "--format", "json", "--account-type", "personal_officer",
                                 "Off my face after shift lol").stdout)
    assert corporate["action"] == "hold" and personal["action"] == "warn"
    assert corporate["policy_revision"] and corporate["detector_versions"]["lexicon"]
    evidence = corporate["reasons"][0]["evidence"][0]
    assert "Off my face after shift lol"[evidence["start"]:evidence["end"]] == evidence["text"]


def test_inbound_direction() -> None:
    result = warden("check", "--direction", "inbound", "--format", "json", "I know where you live and I will kill you")
    assert json.loads(result.stdout)["action"] == "escalate_urgent"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("check", ""), None, "empty_text"),
        (("check", "   "), None, "empty_text"),
        (("check", "-"), b"\xff\xfe\xfd", "not valid UTF-8"),
        (("check", "-"), b"a" * 70_000, "text_too_long"),
        (("check", "--policy", "/nonexistent.yaml", "hi"), None, "cannot read policy"),
        (("check",), None, "give a TEXT"),
        (("check", "--account-type", "boss", "hi"), None, "Invalid value"),
    ],
)
def test_bad_input_is_a_clear_error(args: tuple[str, ...], stdin: bytes | None, message: str) -> None:
    result = warden(*args, stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr.decode()


def test_bad_policy_key_named(tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text("id: x-pack\nname: X\nversion: '1'\nrules:\n  - id: A\n    title: Bad rule\n"
                    "    direction: outbound\n    why: because reasons\n    when: {any: [lexicon.insult]}\n"
                    "    action: hold\n    colour: red\n")
    result = warden("check", "--policy", str(pack), "hello")
    assert result.returncode == 2 and "rules[0].colour" in result.stderr.decode()


def test_policy_naming_unknown_category_is_refused(tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text("id: x-pack\nname: X\nversion: '1'\nrules:\n  - id: A\n    title: Typo rule\n"
                    "    direction: outbound\n    why: because reasons\n    when: {any: [lexicon.insutl]}\n"
                    "    action: hold\n")
    result = warden("policy", "validate", str(pack))
    assert result.returncode == 2 and "lexicon.insutl" in result.stderr.decode()
    assert warden("policy", "validate", "uk-policing").returncode == 0


def test_registers_file(tmp_path: Path) -> None:
    registers = tmp_path / "registers.yaml"
    registers.write_text("active_proceedings: [Jo Bloggs]\noperations: [Nightjar]\n")
    result = warden("check", "--registers", str(registers), "--format", "json", "Op Nightjar went well")
    assert json.loads(result.stdout)["action"] == "block"
    registers.write_text("people: [x]\n")
    bad = warden("check", "--registers", str(registers), "hi")
    assert bad.returncode == 2 and "unknown key" in bad.stderr.decode()


def test_hostile_text_does_not_reach_the_terminal_raw() -> None:
    result = warden("check", "idiot \x1b[2J\x1b]0;pwned\x07 text")
    assert b"\x1b[2J" not in result.stdout and "\\u001b" in result.stdout.decode()


def test_demo_check_runs() -> None:
    result = warden("demo", "--check")
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert out.count("[d") >= 10 and out.count("[i") >= 5
    assert "BLOCK" in out and "ESCALATE_URGENT" in out and "ALLOW" in out
