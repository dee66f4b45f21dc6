"""Keyset ("seek") pagination for long lists whose order an index serves.

An offset makes the database walk and discard every row before the page: page 1,000 of the
catalog (49,950 rows in) took 1–2 s at 100,000 use cases. A keyset page asks for the rows
after (or before) the last one seen instead — ``WHERE (name, id) > ('Chatbot', 812)`` — which
the same index answers as fast as the first page (STYLE.md, speed habit 20).

The cursor names a position, not a page: it is the ordering's values of a boundary row,
JSON in URL-safe base64. It works only for orderings whose fields all go the same way (every
``SORTS`` entry but ``risk``; not relevance); others keep offset pages.
"""

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

#: ``before=`` this value means "the last page" (the list read backwards from its end).
END = "end"


class InvalidCursor(ValueError):
    """The cursor was not made by ``cursor_encode`` for this ordering (tampered or stale)."""


def keyset_supported(ordering) -> bool:
    """Whether ``ordering`` (order_by strings, ending with the primary key) can be sought:
    plain fields all ascending or all descending, the last one ``id``."""
    ordering = list(ordering)
    if not ordering or not all(isinstance(field, str) for field in ordering):
        return False
    if ordering[-1].lstrip("-") not in ("id", "pk") or any("?" in field for field in ordering):
        return False
    return len({field.startswith("-") for field in ordering}) == 1


def _plain(value):
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    return value


def _typed(value):
    if isinstance(value, dict) and set(value) == {"dt"}:
        return dt.datetime.fromisoformat(value["dt"])
    if isinstance(value, dict) and set(value) == {"d"}:
        return dt.date.fromisoformat(value["d"])
    return value


def cursor_encode(values) -> str:
    """The cursor for a row whose ordering values are ``values`` (str, int, date, datetime)."""
    raw = json.dumps([_plain(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str, length: int) -> list:
    """The ordering values in ``cursor``.

    Raises:
        InvalidCursor: not base64 JSON, or not a list of ``length`` scalars.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        values = [_typed(v) for v in values] if isinstance(values, list) else None
    except (binascii.Error, ValueError, UnicodeDecodeError, TypeError) as error:
        raise InvalidCursor(str(error)) from None
    if (
        values is None
        or len(values) != length
        or any(v is None or isinstance(v, list | dict) for v in values)
    ):
        raise InvalidCursor("not a position in this list")
    return values


def cursor_of(row, ordering) -> str:
    """The cursor naming ``row``'s position in ``ordering``."""
    return cursor_encode(_row_values(row, ordering))


def _row_values(row, fields) -> list:
    values = []
    for field in fields:
        value = row
        for part in field.lstrip("-").split("__"):
            value = getattr(value, part)
        values.append(value)
    return values


def _beyond(fields, values, forward: bool) -> Q:
    """Rows strictly after (``forward``) or before the position ``values`` in ``fields`` order.

    Written as ``f1 ≥ v1 AND (f1 > v1 OR (f1 = v1 AND f2 > v2) OR …)``: the leading range on
    the first field lets PostgreSQL start its index scan at the position.
    """
    descending = fields[0].startswith("-")
    after = "gt" if forward != descending else "lt"
    bound = "gte" if after == "gt" else "lte"
    names = [f.lstrip("-") for f in fields]
    alternatives = [
        Q(**{f"{names[i]}__{after}": values[i]}, **{names[j]: values[j] for j in range(i)})
        for i in range(len(names))
    ]
    return Q(**{f"{names[0]}__{bound}": values[0]}) & reduce(or_, alternatives)


@dataclass
class KeysetPage:
    """One page read by position. ``previous_cursor``/``next_cursor`` are None at the ends."""

    object_list: list
    next_cursor: str | None
    previous_cursor: str | None


def keyset_page(queryset: QuerySet, ordering, per_page: int, *, after=None, before=None) -> KeysetPage:
    """The ``per_page`` rows of ``queryset`` after cursor ``after``, or before cursor ``before``
    (``END``: the last page), in ``ordering`` (see ``keyset_supported``).

    One query of ``per_page + 1`` rows (the extra row says whether there is more), which the
    index on ``ordering`` serves whatever the depth.

    Raises:
        InvalidCursor: a cursor that is not a position in this ordering.
    """
    fields = list(ordering)
    reverse = [f[1:] if f.startswith("-") else f"-{f}" for f in fields]
    if before is not None:
        rows = queryset.order_by(*reverse)
        if before != END:
            rows = rows.filter(_beyond(fields, cursor_decode(before, len(fields)), forward=False))
        rows = list(rows[: per_page + 1])
        more_before = len(rows) > per_page
        rows = rows[:per_page][::-1]
        return KeysetPage(
            rows,
            next_cursor=cursor_of(rows[-1], fields) if rows and before != END else None,
            previous_cursor=cursor_of(rows[0], fields) if rows and more_before else None,
        )
    rows = queryset.order_by(*fields)
    if after is not None:
        rows = rows.filter(_beyond(fields, cursor_decode(after, len(fields)), forward=True))
    rows = list(rows[: per_page + 1])
    more_after = len(rows) > per_page
    rows = rows[:per_page]
    return KeysetPage(
        rows,
        next_cursor=cursor_of(rows[-1], fields) if rows and more_after else None,
        previous_cursor=cursor_of(rows[0], fields) if rows and after is not None else None,
    )


def page_cursors(page, ordering) -> tuple[str | None, str | None]:
    """``(previous, next)`` cursors around an offset page (Django's ``Page``), for cheap
    Previous and Next links; None where there is no page that way."""
    return (
        cursor_of(page[0], ordering) if page.has_previous() else None,
        cursor_of(page[-1], ordering) if page.has_next() else None,
    )


class RegistryPagination(PageNumberPagination):
    """The API's pages: ``?page=N`` and ``?page_size=N`` (default ``PAGE_SIZE``, at most 200).

    When the list's order allows seeking (see ``keyset_supported``), the ``next`` and
    ``previous`` links carry a ``cursor`` (and ``page`` only as a label): following them costs
    the same at page 2 and at page 2,000. ``?page=N`` alone still works (an offset). A cursor
    that is not a position in this list answers 400 with a ``cursor`` field error.
    """

    page_size_query_param = "page_size"
    max_page_size = 200
    cursor_query_param = "cursor"
    _AFTER, _BEFORE = "n.", "p."

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        ordering = tuple(queryset.query.order_by)
        self.ordering = ordering if keyset_supported(ordering) else None
        self.keyset = None
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor is None or self.ordering is None:
            return super().paginate_queryset(queryset, request, view)
        page_size = self.get_page_size(request)
        direction, position = cursor[:2], cursor[2:]
        try:
            if direction == self._AFTER:
                found = keyset_page(queryset, self.ordering, page_size, after=position)
            elif direction == self._BEFORE:
                found = keyset_page(queryset, self.ordering, page_size, before=position)
            else:
                raise InvalidCursor("no direction")
        except InvalidCursor:
            raise ValidationError(  # noqa: B904 - the decoding error says nothing useful to a client
                {"cursor": ["Not a position in this list: follow the next and previous links."]}
            )
        self.keyset = found
        self.count = queryset.count()
        raw = request.query_params.get(self.page_query_param, "")
        self.number = int(raw) if raw.isdigit() and int(raw) > 0 else 1
        return found.object_list

    def _link(self, cursor: str, number: int) -> str:
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, self.cursor_query_param, cursor)
        return replace_query_param(url, self.page_query_param, max(number, 1))

    def get_paginated_response(self, data):
        if self.keyset is None and self.ordering is None:
            return super().get_paginated_response(data)
        if self.keyset is not None:
            count, number = self.count, self.number
            next_cursor, previous_cursor = self.keyset.next_cursor, self.keyset.previous_cursor
        else:
            count, number = self.page.paginator.count, self.page.number
            previous_cursor, next_cursor = page_cursors(self.page, self.ordering)
        previous = None
        if previous_cursor is not None:
            if number - 1 <= 1:  # the first page: a plain link
                url = remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
                previous = remove_query_param(url, self.page_query_param)
            else:
                previous = self._link(self._BEFORE + previous_cursor, number - 1)
        return Response(
            {
                "count": count,
                "next": self._link(self._AFTER + next_cursor, number + 1) if next_cursor else None,
                "previous": previous,
                "results": data,
            }
        )

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "A position in the list, from a next or previous link (opaque).",
                "schema": {"type": "string"},
            },
        ]
