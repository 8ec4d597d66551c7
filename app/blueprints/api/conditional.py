"""Validators for answers that never change once made (a closed ride): ETag, Last-Modified and 304."""
from datetime import datetime

from flask import Response, request
from werkzeug.http import http_date, is_resource_modified, quote_etag

# A closed ride's answer may be kept by the client itself (never a shared cache) and reused after a
# 304; the key is still checked on every request, revalidations included.
REVALIDATE = "private, no-cache"
# Part of every tag: raise it when the representation of a ride changes, so old copies are refetched.
REPRESENTATION = "1"

CONDITIONAL_PARAMETERS = [
    {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "The `ETag` of a copy you hold: 304 (no body) while it is current."},
    {"name": "If-Modified-Since", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "The `Last-Modified` of a copy you hold (an HTTP date): 304 while it is current."},
]
VALIDATOR_HEADERS = {
    "ETag": {"description": "Tag of this representation; send it back in If-None-Match.",
             "schema": {"type": "string"}},
    "Last-Modified": {"description": "When the ride was closed (it does not change after).",
                      "schema": {"type": "string"}},
}


def validators(tag: str, last_modified: datetime) -> dict:
    """The response headers that let a client revalidate its copy."""
    return {"ETag": quote_etag(f"{tag}.v{REPRESENTATION}"), "Last-Modified": http_date(last_modified),
            "Cache-Control": REVALIDATE}


def not_modified(headers: dict) -> Response | None:
    """A 304 when If-None-Match (else If-Modified-Since) says the client's copy is current, else None."""
    etag = headers["ETag"].strip('"')
    last_modified = headers["Last-Modified"]
    if is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        return None
    return Response(status=304, headers=headers)
