from warden.detectors.base import TextItem
from warden.detectors.registers import RegisterDetector
from warden.domain.context import CheckContext, Registers

REGISTERS = Registers(active_proceedings=("Jo Bloggs|Joanne Bloggs",), anonymity=("Sam Witness",),
                      operations=("Nightjar",))


def found(text: str) -> list[tuple[str, str, str]]:
    item = TextItem(text, CheckContext(registers=REGISTERS))
    return [(f.category, f.text, f.entry) for f in RegisterDetector().detect([item])[0]]


def test_names_aliases_and_operations() -> None:
    assert found("JO  BLOGGS was seen") == [("register.active_proceedings", "JO  BLOGGS", "Jo Bloggs")]
    assert found("Joanne Bloggs") == [("register.active_proceedings", "Joanne Bloggs", "Jo Bloggs")]
    assert found("sam witness told us") == [("register.anonymity", "sam witness", "Sam Witness")]
    assert ("register.operation", "Op Nightjar", "Nightjar") in found("Op Nightjar starts")
    assert [c for c, _, _ in found("#OpNightjar")] == ["register.operation"]


def test_obfuscated_names_still_match() -> None:
    assert found("J o B l o g g s")[0][0] == "register.active_proceedings"


def test_no_registers_no_findings() -> None:
    assert RegisterDetector().detect([TextItem("Jo Bloggs")]) == [[]]


def test_word_boundaries() -> None:
    assert found("nightjars are birds") == []
