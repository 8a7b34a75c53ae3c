"""Validate a body against a JSON schema (Draft 7) with messages that name
the field and the offending value, as zunclient prints ``title`` verbatim."""
from __future__ import annotations

import re
from typing import Any, Mapping

import jsonschema

from zun.common import exception

# The wording of a bad field lives with the errors (the scheduler, which may
# not import the API, words bad fields too); API code uses it from here.
NO_VALUE = exception.NO_VALUE
invalid_field = exception.invalid_field
# PostgreSQL's text columns cannot hold NUL, and no name, path or command
# needs one: refused in every string of every body (and query value).
NUL_REASON = "It contains a NUL character."


def validate(schema: Mapping[str, Any], body: Mapping[str, Any]) -> None:
    """Raise ValidationError (400) for a NUL in any string, else for the most
    relevant schema violation."""
    _refuse_nul(body)
    validator = jsonschema.Draft7Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    if error is None:
        return
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        where = ".".join(str(p) for p in error.absolute_path)
        field = "%s.%s" % (where, extra[0]) if where and extra else (extra[0] if extra else where)
        raise invalid_field(field, reason="Unknown field: %s. Additional "
                            "properties are not allowed." % ", ".join(extra))
    if error.validator == "required":
        match = re.match(r"'([^']+)'", error.message)
        missing = match.group(1) if match else error.message
        where = ".".join(str(p) for p in error.absolute_path)
        field = "%s.%s" % (where, missing) if where else missing
        raise invalid_field(field, reason="It is required.")
    field = ".".join(str(p) for p in error.absolute_path) or "body"
    raise invalid_field(field, error.instance, _reason(error))


def _refuse_nul(body: Mapping[str, Any]) -> None:
    """400 naming a field (key or value) holding a NUL character.

    Iterative: json_body bounds the depth, but this walk needs no stack.
    """
    pending: list[tuple[str, Any]] = [("", body)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise invalid_field(where or "body", value.replace("\x00", "\\x00")[:64],
                                    NUL_REASON)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                path = "%s.%s" % (where, key) if where else str(key)
                if "\x00" in str(key):
                    raise invalid_field(path.replace("\x00", "\\x00")[:64],
                                        reason=NUL_REASON)
                pending.append((path, item))
        elif isinstance(value, list):
            pending.extend(("%s.%d" % (where, index), item)
                           for index, item in enumerate(value))


def _reason(error: jsonschema.exceptions.ValidationError) -> str:
    # The top-level message of oneOf/anyOf failures lists the whole schema;
    # say what was expected instead.
    if error.validator in ("oneOf", "anyOf"):
        return "It does not match any of the accepted forms."
    return error.message
