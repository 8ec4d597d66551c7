"""Server-side sorting of the staff tables: a column name from the query string, checked against
each table's whitelist, becomes an ORDER BY (anything else falls back to the table's default)."""
from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class Sort:
    """The sort in force: a whitelisted column and asc or desc."""

    column: str
    direction: str

    def aria(self, column: str) -> str:
        """aria-sort of a column's header: ascending, descending or none."""
        if column != self.column:
            return "none"
        return "ascending" if self.direction == "asc" else "descending"

    def next_direction(self, column: str) -> str:
        """The direction a click on a column's header asks for: the other way when sorted by it."""
        if column == self.column:
            return "desc" if self.direction == "asc" else "asc"
        return "asc"


def read_sort(columns: dict, default: Sort, column: str | None, direction: str | None) -> Sort:
    """The sort asked for, if its column is in the whitelist and its direction asc or desc."""
    if column not in columns:
        return default
    return Sort(column, direction if direction in ("asc", "desc") else "asc")


def apply_sort(query, columns: dict, sort: Sort, *tie_breakers):
    """The query ordered by the sort's column (empty values last), then by its tie-breakers so that
    pages never share or skip a row."""
    expression = columns[sort.column]
    ordered = sa.asc(expression) if sort.direction == "asc" else sa.desc(expression)
    return query.order_by(None).order_by(ordered.nulls_last(), *tie_breakers)
