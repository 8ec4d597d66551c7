"""Pagination of a select that returns rows of several columns (db.paginate returns scalars only)."""
from flask_sqlalchemy.pagination import SelectPagination

from app.extensions import db


class RowPagination(SelectPagination):
    """Flask-SQLAlchemy's SelectPagination, keeping whole rows (e.g. a ride and its rider's name),
    and showing the last page for a page past the end."""

    def _query_items(self) -> list:
        # Counted first: a page past the end (page=99, or one no OFFSET can hold) becomes the last.
        self._counted = super()._query_count()
        last_page = max(1, -(-self._counted // self.per_page))
        self.page = min(self.page, last_page)
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select).all())

    def _query_count(self) -> int:
        return self._counted


def paginate_rows(select, per_page: int, max_per_page: int = 200) -> RowPagination:
    """One page of rows; `page` (and `per_page`) come from the request like db.paginate."""
    return RowPagination(select=select, session=db.session(), per_page=per_page,
                         max_per_page=max_per_page, error_out=False)
