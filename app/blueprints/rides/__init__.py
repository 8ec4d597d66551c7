"""Ride pages: one finished ride's figures, charts, alerts and downloads, for staff and by a rider's link."""
from flask import Blueprint

bp = Blueprint("ride_pages", __name__)

from app.blueprints.rides import views  # noqa: E402,F401
