"""Validate a body against a JSON schema (Draft 7) with messages that name
the field and the offending value, as zunclient prints ``title`` verbatim."""
from __future__ import annotations

import json
import re
from typing import Any, Mapping

import jsonschema

from zun.common import exception


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def invalid_field(field: str, value: Any, reason: str) -> exception.ValidationError:
    """The one wording of a bad field, shared by schema and range checks."""
    return exception.ValidationError(
        detail="Invalid input for field '%s'. Value: '%s'. %s"
        % (field, _show(value), reason))


def validate(schema: Mapping[str, Any], body: Mapping[str, Any]) -> None:
    """Raise ValidationError (400) for the most relevant schema violation."""
    validator = jsonschema.Draft7Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    if error is None:
        return
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        where = ".".join(str(p) for p in error.absolute_path)
        field = "%s.%s" % (where, extra[0]) if where and extra else (extra[0] if extra else where)
        raise exception.ValidationError(
            detail="Invalid input for field '%s'. Unknown field: %s. "
                   "Additional properties are not allowed." % (field, ", ".join(extra)))
    if error.validator == "required":
        match = re.match(r"'([^']+)'", error.message)
        missing = match.group(1) if match else error.message
        where = ".".join(str(p) for p in error.absolute_path)
        field = "%s.%s" % (where, missing) if where else missing
        raise exception.ValidationError(
            detail="Invalid input for field '%s'. It is required." % field)
    field = ".".join(str(p) for p in error.absolute_path) or "body"
    raise invalid_field(field, error.instance, _reason(error))


def _reason(error: jsonschema.exceptions.ValidationError) -> str:
    # The top-level message of oneOf/anyOf failures lists the whole schema;
    # say what was expected instead.
    if error.validator in ("oneOf", "anyOf"):
        return "It does not match any of the accepted forms."
    return error.message
