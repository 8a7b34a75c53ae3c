"""One wording for every bad field: ``exception.invalid_field``, which API
code reaches as ``validation.invalid_field``."""
from __future__ import annotations

from pathlib import Path

import pytest

from zun.api import utils
from zun.api.schemas import validation
from zun.common import exception

REPO = Path(__file__).resolve().parents[3]
PHRASE = "Invalid input for field"
# Files whose owners still have to route their messages through
# invalid_field; remove a file from here once it does (the test below
# fails while a listed file no longer needs the exception).
PENDING: set[str] = set()


def test_the_api_name_is_the_common_helper():
    assert validation.invalid_field is exception.invalid_field
    assert validation.NO_VALUE is exception.NO_VALUE


def test_with_value():
    err = validation.invalid_field("memory", "-1", "It must be positive.")
    assert isinstance(err, exception.ValidationError) and err.code == 400
    assert str(err) == "Invalid input for field 'memory'. Value: '-1'. It must be positive."


def test_non_string_values_are_shown_as_json():
    err = validation.invalid_field("labels", {"a": 1}, "Bad.")
    assert str(err) == "Invalid input for field 'labels'. Value: '{\"a\": 1}'. Bad."


def test_without_value():
    assert str(validation.invalid_field("command", reason="It is required.")) == (
        "Invalid input for field 'command'. It is required.")


def test_value_none_is_still_shown():
    # None is a value a client sent; only NO_VALUE leaves the part out
    assert str(validation.invalid_field("cpu", None, "Bad.")) == (
        "Invalid input for field 'cpu'. Value: 'null'. Bad.")


@pytest.mark.parametrize("body,expected", [
    ({"image": "x", "bogus": 1},
     "Invalid input for field 'bogus'. Unknown field: bogus. Additional properties "
     "are not allowed."),
    ({}, "Invalid input for field 'image'. It is required."),
    ({"image": 5}, "Invalid input for field 'image'. Value: '5'. 5 is not of type 'string'"),
])
def test_schema_failures_keep_their_wording(body, expected):
    schema = {"type": "object", "properties": {"image": {"type": "string"}},
              "required": ["image"], "additionalProperties": False}
    with pytest.raises(exception.ValidationError) as caught:
        validation.validate(schema, body)
    assert str(caught.value) == expected


def test_split_command_uses_it():
    with pytest.raises(exception.ValidationError) as caught:
        utils.split_command('echo "unclosed')
    assert str(caught.value) == (
        "Invalid input for field 'command'. Value: 'echo \"unclosed'. "
        "No closing quotation")


def test_no_other_module_words_it_by_hand():
    helper = REPO / "zun" / "common" / "exception.py"
    by_hand = {str(p.relative_to(REPO)) for p in (REPO / "zun").rglob("*.py")
               if p != helper and PHRASE in p.read_text()}
    assert by_hand - PENDING == set(), "raise validation.invalid_field(...) instead"
    assert PENDING - by_hand == set(), "converted: remove these from PENDING"
