"""serve_data: dashboard data with cache and byte cap, refresh and warm."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("data", __name__)
