"""Make the OpenAPI document say what the API really does (an apispec plugin for flask-smorest)."""
from apispec import BasePlugin

# The largest page: with page_size at most 500, OFFSET stays below 2**31 (no real list is that
# long, and PostgreSQL's OFFSET would overflow far beyond). The API refuses larger pages with 422.
MAX_PAGE = 2**31 // 500
NO_NUL = r"^[^\x00]*$"  # a NUL in any parameter is refused with 400 (app/security.py)

PAGINATION_HEADER = {
    "description": "Pagination metadata as a JSON object in text: total, total_pages, "
                   "first_page, last_page, page, previous_page, next_page.",
    "schema": {"type": "string", "example": '{"total": 3, "total_pages": 1, "first_page": 1, '
                                            '"last_page": 1, "page": 1}'},
}


class HonestSpecPlugin(BasePlugin):
    """Bound `page`, forbid NUL in text parameters, document the 400, and declare X-Pagination as
    the text it is (flask-smorest's default documents it as an object)."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        """Adjust each operation once the marshmallow plugin has turned schemas into parameters."""
        for operation in (operations or {}).values():
            for parameter in operation.get("parameters", []):
                adjust_parameter(parameter)
            responses = operation.setdefault("responses", {})
            responses.setdefault("400", "BAD_REQUEST")  # flask-smorest's Error response
            for response in responses.values():
                if isinstance(response, dict) and "X-Pagination" in response.get("headers", {}):
                    response["headers"]["X-Pagination"] = PAGINATION_HEADER


def adjust_parameter(parameter: dict) -> None:
    """The page bound and the NUL rule on one resolved query parameter."""
    schema = parameter.get("schema") if isinstance(parameter, dict) else None
    if not isinstance(schema, dict):
        return
    if parameter.get("in") == "query" and parameter.get("name") == "page":
        schema["maximum"] = MAX_PAGE
    if schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
        schema.setdefault("pattern", NO_NUL)
