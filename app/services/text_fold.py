"""Case- and accent-blind text search: "ayse" finds "Ayşe", "odegaard" finds "Ødegaard"."""
import sqlite3
import unicodedata

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# Letters that have no decomposition into a base letter and an accent.
_SPECIAL = {"ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ı": "i", "ħ": "h", "Ħ": "h",
            "ŧ": "t", "Ŧ": "t"}


def _base_letter(char: str) -> str | None:
    """The plain lower-case ASCII letter of an accented Latin letter, else None."""
    if char in _SPECIAL:
        return _SPECIAL[char]
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)).lower()
    return base if len(base) == 1 and base.isascii() and base.isalpha() else None


# One character to one character, so that PostgreSQL's translate() can apply the same table.
_FROM, _TO = zip(*((chr(code), _base_letter(chr(code))) for code in range(0xC0, 0x250)
                   if _base_letter(chr(code))))
FOLD_FROM, FOLD_TO = "".join(_FROM), "".join(_TO)
_TABLE = str.maketrans(FOLD_FROM, FOLD_TO)


def fold(text: str) -> str:
    """Lower case without accents (the same folding as the SQL side)."""
    return text.lower().translate(_TABLE)


class folded(FunctionElement):  # noqa: N801 (used like a SQL function)
    """SQL: a text column folded like fold()."""

    type = sa.String()
    inherit_cache = True


@compiles(folded, "postgresql")
def _folded_postgresql(element, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    source, target = (compiler.process(sa.literal(chars), **kw) for chars in (FOLD_FROM, FOLD_TO))
    return f"translate(lower({column}), {source}, {target})"


@compiles(folded)
def _folded_other(element, compiler, **kw) -> str:
    return f"deloton_fold({compiler.process(element.clauses, **kw)})"


@event.listens_for(Engine, "connect")
def _register_sqlite_fold(dbapi_connection, connection_record) -> None:
    """SQLite has no translate(): it gets fold() as a function of each connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("deloton_fold", 1, lambda text: None if text is None else fold(text),
                                         deterministic=True)


def contains_folded(column, text: str) -> sa.ColumnElement:
    """column contains text, ignoring case and accents (a typed % or _ is not a wildcard)."""
    return folded(column).contains(fold(text), autoescape=True)
