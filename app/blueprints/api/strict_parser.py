"""The API's argument parser: webargs' FlaskParser, except that a number must be written in ASCII.

marshmallow reads integers with Python's int() and decimals with float(), which also take other
scripts' digits ("١", "𝟏"), surrounding spaces and underscores ("1_0"), and float() "nan", "inf"
and "infinity"; the OpenAPI document promises an integer or a number, so anything else is a 422, as
for any value that is not a number.
"""
import re

import marshmallow as ma
from webargs.flaskparser import FlaskParser

ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")
ASCII_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def ascii_pattern(field: ma.fields.Field) -> re.Pattern | None:
    """The spelling a numeric field's raw text must have (None for other fields)."""
    if isinstance(field, ma.fields.Integer):
        return ASCII_INTEGER
    if isinstance(field, ma.fields.Float):
        return ASCII_DECIMAL
    return None


class StrictNumberParser(FlaskParser):
    """A FlaskParser that refuses a numeric argument not written in ASCII digits."""

    def pre_load(self, location_data, *, schema: ma.Schema, req, location: str):
        """Check every numeric field's raw text before marshmallow reads it."""
        errors = {}
        for name, field in schema.fields.items():
            pattern = ascii_pattern(field)
            if pattern is None:
                continue
            key = field.data_key or name
            raw = location_data.get(key) if hasattr(location_data, "get") else None
            if isinstance(raw, str) and not pattern.fullmatch(raw):
                errors[key] = [field.error_messages["invalid"]]
        if errors:
            raise ma.ValidationError(errors)
        return location_data
