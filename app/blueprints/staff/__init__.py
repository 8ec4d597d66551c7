"""Staff pages: today at a glance, alerts, quarantine, rides, riders, leaderboards (login required)."""
from flask import Blueprint

from app.security import no_store

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.after_request(no_store)  # riders' names, emails and figures: never kept in a cache

from app.blueprints.staff import map_views, views  # noqa: E402,F401
