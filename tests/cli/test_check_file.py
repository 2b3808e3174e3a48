"""``warden check --input``: streaming JSONL, in order, errors by line number."""

import json
import subprocess
import sys
from pathlib import Path


def run(tmp_path: Path, content: bytes, *extra: str) -> tuple[int, list[dict[str, object]], str]:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_bytes(content)
    result = subprocess.run([sys.executable, "-m", "warden", "check", "--input", str(source), "--output",
                             str(target), *extra], capture_output=True, timeout=300, check=False)
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()] if target.exists() else []
    return result.returncode, rows, result.stderr.decode()


def test_order_fields_and_errors(tmp_path: Path) -> None:
    lines = [
        b'{"id": "a", "text": "Another idiot driver"}',
        b'{"id": "b", "text": "I will kill you", "direction": "inbound"}',
        b"not json at all",
        b'{"id": "c", "text": ""}',
        b'{"id": "d", "text": "\xff bad utf8"}',
        b'{"id": "e"}',
        b'{"id": "f", "text": "hello", "account_type": "boss"}',
        b'{"id": 7, "text": "Lovely day at the fete"}',
        b"",
        b'["a list"]',
    ]
    code, rows, stderr = run(tmp_path, b"\n".join(lines) + b"\n")
    assert code == 1
    assert [r.get("id") for r in rows] == ["a", "b", None, "c", None, "e", "f", 7, None]
    assert rows[0]["action"] == "hold" and rows[1]["action"] == "escalate_urgent" and rows[7]["action"] == "allow"
    assert set(rows[0]) == {"id", "direction", "action", "categories", "findings", "scores", "policy_revision"}
    assert {"detector", "category", "start", "end", "text", "score", "explanation"} == set(rows[0]["findings"][0])
    errors = {r["line"]: r["error"]["code"] for r in rows if "error" in r}
    assert errors == {3: "invalid_json", 4: "empty_text", 5: "invalid_utf8", 6: "invalid_record",
                      7: "invalid_input", 10: "invalid_record"}
    for line in errors:
        assert f"line {line}:" in stderr


def test_over_long_line_is_reported_not_held(tmp_path: Path) -> None:
    huge = b'{"id": "x", "text": "' + b"a" * 2_000_000 + b'"}'
    code, rows, _ = run(tmp_path, huge + b'\n{"id": "y", "text": "fine"}\n')
    assert code == 1
    assert rows[0]["error"]["code"] == "text_too_long" and rows[1]["action"] == "allow"


def test_many_lines_on_two_workers_stay_in_order(tmp_path: Path) -> None:
    lines = [json.dumps({"id": i, "text": f"message number {i} from an idiot" if i % 3 == 0 else f"hello {i}"})
             for i in range(3000)]
    code, rows, _ = run(tmp_path, ("\n".join(lines) + "\n").encode(), "--workers", "2")
    assert code == 0
    assert [r["id"] for r in rows] == list(range(3000))
    assert all((r["action"] == "hold") == (r["id"] % 3 == 0) for r in rows)
