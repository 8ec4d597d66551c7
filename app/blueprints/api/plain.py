"""A short way past webargs for the plain query strings of the hot reads.

webargs and flask-smorest build and run three marshmallow schemas per list request (the filters,
the cursor, page/page_size), about a quarter of its CPU. A query string whose every parameter is
known, given once and in the plainest valid spelling (ASCII digits, no sign or space) is read here
instead, to the same values; any other query string (an error, an unusual spelling) goes the
documented way, so every answer and every error stays exactly as webargs makes it."""
import re
from datetime import date
from functools import wraps
from typing import Callable

from flask import request

from app.blueprints.api.cursor import CURSOR_PATTERN
from app.openapi import MAX_PAGE

MAX_PAGE_SIZE = 500  # Blueprint.DEFAULT_PAGINATION_PARAMETERS["max_page_size"]
_CURSOR = re.compile(CURSOR_PATTERN)
_COUNT = re.compile(r"[1-9][0-9]{0,8}")
_DAY_FIRST = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})")  # DD-MM-YYYY
_YEAR_FIRST = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")  # YYYY-MM-DD


def _count(text: str, most: int) -> int | None:
    if _COUNT.fullmatch(text) is None:
        return None
    value = int(text)
    return value if value <= most else None


def page_number(text: str) -> int | None:
    """`page` as plain digits within its documented range, else None."""
    return _count(text, MAX_PAGE)


def page_size(text: str) -> int | None:
    """`page_size` as plain digits within 1-500, else None."""
    return _count(text, MAX_PAGE_SIZE)


def cursor(text: str) -> str | None:
    """A well-formed cursor (as CursorArgsSchema checks it), else None."""
    return text if _CURSOR.fullmatch(text) else None


def day(text: str) -> date | None:
    """A real date as DD-MM-YYYY or YYYY-MM-DD, else None (FlexibleDate reads both the same)."""
    found = _DAY_FIRST.fullmatch(text)
    if found is not None:
        dd, mm, yyyy = found.groups()
    else:
        found = _YEAR_FIRST.fullmatch(text)
        if found is None:
            return None
        yyyy, mm, dd = found.groups()
    try:
        return date(int(yyyy), int(mm), int(dd))
    except ValueError:
        return None


PAGING = {"page": page_number, "page_size": page_size, "cursor": cursor}


def plain_args(readers: dict[str, Callable[[str], object]]) -> dict | None:
    """The query string's values, each read by its reader in `readers`; None when a parameter is
    unknown, repeated, or not plainly valid (its reader gives None)."""
    values = {}
    for name, texts in request.args.lists():
        reader = readers.get(name)
        value = reader(texts[0]) if reader is not None and len(texts) == 1 else None
        if value is None:
            return None
        values[name] = value
    return values


def shortcut(quick: Callable):
    """Serve a view by `quick(*args, **kwargs)` when it gives an answer, else by the view itself
    (whose flask-smorest decorators document it and parse what `quick` declined)."""
    def decorator(view):
        @wraps(view)  # keeps the view's OpenAPI description (_apidoc)
        def either(*args, **kwargs):
            answer = quick(*args, **kwargs)
            return view(*args, **kwargs) if answer is None else answer
        return either
    return decorator
