"""CSV downloads of the staff tables: streamed row by row, safe to open in a spreadsheet."""
import csv
import io
from collections.abc import Iterable, Iterator

# A cell starting with one of these is read as a formula by spreadsheets (CSV injection);
# a leading quote makes it text (OWASP's advice). Tab and CR start formulas too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> object:
    """A cell's value, with a text that a spreadsheet would run as a formula made plain text."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The header then each row, as CSV text one line at a time (for a streamed response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield _take(buffer)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    """What the writer wrote since the last call."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
