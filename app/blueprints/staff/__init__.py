"""Staff pages: today at a glance, alerts, quarantine, rides, riders, leaderboards (login required)."""
from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from app.blueprints.staff import map_views, views  # noqa: E402,F401
