"""Marshmallow fields of the API: rounded numbers and dates in two spellings."""
from datetime import date, datetime

from marshmallow import ValidationError, fields


class Rounded(fields.Float):
    """A number rounded to 2 decimals, always a JSON number."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else round(float(value), 2)


class FlexibleDate(fields.Date):
    """A date given as DD-MM-YYYY or YYYY-MM-DD."""

    FORMATS = ("%d-%m-%Y", "%Y-%m-%d")

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        text = str(value).strip()
        for fmt in self.FORMATS:
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ValidationError(f"{value!r} is not a date: use DD-MM-YYYY or YYYY-MM-DD, "
                              "e.g. 27-11-2026 or 2026-11-27.")
