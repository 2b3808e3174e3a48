from __future__ import annotations

import hashlib
import math
import re
from datetime import UTC, date, datetime
from enum import StrEnum
from types import MappingProxyType

import pytest

from warden.audit import CanonicalJSONError, canonical_json, state_hash
from warden.audit.canonical import MAX_DEPTH, MAX_SAFE_INTEGER


class Colour(StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, b"null"),
        (True, b"true"),
        (False, b"false"),
        (0, b"0"),
        (-12, b"-12"),
        (MAX_SAFE_INTEGER, b"9007199254740991"),
        (1.0, b"1.0"),
        (0.1, b"0.1"),
        (1e-7, b"1e-07"),
        (-0.0, b"-0.0"),
        ("", b'""'),
        ("é🚧", "\"é🚧\"".encode()),
        ("a\"b\\c\n\t\x01\u2028", b'"a\\"b\\\\c\\n\\t\\u0001\xe2\x80\xa8"'),
        ([], b"[]"),
        ((1, "x", None), b'[1,"x",null]'),
        ({}, b"{}"),
        ({"b": 1, "a": [True, {"d": None, "c": 2}]}, b'{"a":[true,{"c":2,"d":null}],"b":1}'),
        (MappingProxyType({"z": 1, "y": 2}), b'{"y":2,"z":1}'),
        (Colour.RED, b'"red"'),
        ({Colour.RED: 1}, b'{"red":1}'),
    ],
)
def test_canonical_forms(value: object, expected: bytes) -> None:
    assert canonical_json(value) == expected


def test_keys_sort_by_code_point_not_by_insertion() -> None:
    assert canonical_json({"é": 1, "z": 2, "Z": 3, "a": 4, "😀": 5, "\uffff": 6}) == \
        '{"Z":3,"a":4,"z":2,"é":1,"\uffff":6,"😀":5}'.encode()


def test_same_value_same_bytes_whatever_the_insertion_order() -> None:
    one = {"x": 1, "y": {"b": [1, 2], "a": "t"}}
    two = {"y": {"a": "t", "b": (1, 2)}, "x": 1}
    assert canonical_json(one) == canonical_json(two)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (math.nan, "NaN"),
        (math.inf, "NaN and infinities"),
        ({"a": [1, -math.inf]}, "$.a[1]"),
        (MAX_SAFE_INTEGER + 1, "2**53"),
        (-(MAX_SAFE_INTEGER + 1), "2**53"),
        (datetime(2024, 1, 1, tzinfo=UTC), "format_timestamp"),
        (date(2024, 1, 1), "date"),
        ({"when": datetime(2024, 1, 1, tzinfo=UTC)}, "$.when"),
        (b"bytes", "bytes"),
        ({1, 2}, "set"),
        ({1: "a"}, "key 1"),
        ({("a",): 1}, "not a string"),
        ({"x": {"y": object()}}, "$.x.y"),
        ("\ud800", "surrogate"),
        ({"\udfff": 1}, "surrogate"),
    ],
)
def test_refuses_values_without_one_canonical_form(value: object, fragment: str) -> None:
    with pytest.raises(CanonicalJSONError, match=re.escape(fragment)):
        canonical_json(value)


def test_depth_is_bounded() -> None:
    value: object = 1
    for _ in range(MAX_DEPTH):
        value = [value]
    canonical_json(value)
    with pytest.raises(CanonicalJSONError, match="deeper"):
        canonical_json([value])


def test_state_hash_is_sha256_of_canonical_json() -> None:
    state = {"text": "Road closed", "state": "held", "version": 3}
    assert state_hash(state) == hashlib.sha256(b'{"state":"held","text":"Road closed","version":3}').hexdigest()
    assert state_hash({"version": 3, "state": "held", "text": "Road closed"}) == state_hash(state)
    assert state_hash({**state, "version": 4}) != state_hash(state)


def test_error_has_machine_readable_code() -> None:
    with pytest.raises(CanonicalJSONError) as caught:
        canonical_json(math.nan)
    assert caught.value.code == "audit_non_canonical_value"
