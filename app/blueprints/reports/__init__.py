"""The report archive for staff (/reports, login required) and the signed links that need no login."""
from flask import Blueprint

from app.security import no_store

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.after_request(no_store)  # reports name riders: never kept in a cache

from app.blueprints.reports import views  # noqa: E402,F401
