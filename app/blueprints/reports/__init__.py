"""The report archive for staff (/reports, login required) and the signed links that need no login."""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from app.blueprints.reports import views  # noqa: E402,F401
