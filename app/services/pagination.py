"""Pagination of a select that returns rows of several columns (db.paginate returns scalars only)."""
from flask_sqlalchemy.pagination import SelectPagination

from app.extensions import db


class RowPagination(SelectPagination):
    """Flask-SQLAlchemy's SelectPagination, keeping whole rows (e.g. a ride and its rider's name)."""

    def _query_items(self) -> list:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select).all())


def paginate_rows(select, per_page: int, max_per_page: int = 200) -> RowPagination:
    """One page of rows; `page` (and `per_page`) come from the request like db.paginate."""
    return RowPagination(select=select, session=db.session(), per_page=per_page,
                         max_per_page=max_per_page, error_out=False)
