"""The API's argument parser: webargs' FlaskParser, except that an integer must be written in ASCII digits.

marshmallow reads integers with Python's int(), which also takes other scripts' digits ("١", "𝟏")
surrounding spaces and underscores ("1_0"); the OpenAPI document promises an integer, so anything else is a 422, as
for any value that is not an integer.
"""
import re

import marshmallow as ma
from webargs.flaskparser import FlaskParser

ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")


class StrictIntegerParser(FlaskParser):
    """A FlaskParser that refuses an integer argument not written as ASCII digits."""

    def pre_load(self, location_data, *, schema: ma.Schema, req, location: str):
        """Check every integer field's raw text before marshmallow reads it."""
        errors = {}
        for name, field in schema.fields.items():
            if not isinstance(field, ma.fields.Integer):
                continue
            key = field.data_key or name
            raw = location_data.get(key) if hasattr(location_data, "get") else None
            if isinstance(raw, str) and not ASCII_INTEGER.fullmatch(raw):
                errors[key] = [field.error_messages["invalid"]]
        if errors:
            raise ma.ValidationError(errors)
        return location_data
