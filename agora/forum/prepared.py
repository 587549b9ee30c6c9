"""Prepared queries: the hottest forum reads compiled once per database connection.

A topic page's posts, the viewer's read position and draft, the category access and the
category index have the same SQL on every request but their values. Building and compiling
a queryset costs more CPU than SQLite takes to run it, so each is compiled once per connection
and key with stand-in values; later calls splice their own values into the compiled
parameters and run the SQL through Django's cursor (counted, logged, wrapped like any query),
applying the same column converters (SQLite's text dates and so on) the queryset would.

Where the compiled parameters do not show every stand-in exactly once per use (a lookup that
transforms its value, say), the plain queryset runs instead: slower, never wrong.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

_STAND_IN = 1_730_001  # 1_730_001, 1_730_002, ...: in range of every integer column
_MISSING = object()
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()  # connections are per thread; the map of them is shared


def _stand_in(i: int, value: object) -> object:
    if isinstance(value, str):
        return f"zq-agora-stand-in-{i}-zq"
    return _STAND_IN + i


def prepared_rows(
    key: tuple, build: Callable[[list], QuerySet], values: Sequence[int | str]
) -> list[tuple]:
    """The rows of `build(values)` (a values_list() queryset), compiled once per connection
    and `key` (which must fix everything but the values: their number and types included)."""
    values = list(values)
    connection = connections[DEFAULT_DB_ALIAS]
    per_connection = _prepared.get(connection)
    if per_connection is None:
        with _lock:
            per_connection = _prepared.setdefault(connection, {})
    prepared = per_connection.get(key, _MISSING)
    if prepared is _MISSING:
        stand_ins = [_stand_in(i, value) for i, value in enumerate(values)]
        compiler = build(stand_ins).query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        slots = {value: i for i, value in enumerate(stand_ins)}
        positions = [
            (at, slots[param])
            for at, param in enumerate(params)
            if type(param) in (int, str) and param in slots
        ]
        converters = compiler.get_converters([column[0] for column in compiler.select])
        prepared = None
        if {slot for _, slot in positions} == set(range(len(values))):
            prepared = (sql, list(params), positions, compiler, converters)
        per_connection[key] = prepared
    if prepared is None:
        return [tuple(row) for row in build(values)]
    sql, params, positions, compiler, converters = prepared
    params = params.copy()
    for at, slot in positions:
        params[at] = values[slot]
    with compiler.connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters:
        return [tuple(row) for row in compiler.apply_converters(rows, converters)]
    return rows


def prepared_instances(
    model: type[Model],
    key: tuple,
    build: Callable[[list], QuerySet],
    values: Sequence[int | str],
) -> list[Model]:
    """Model instances (every concrete field loaded, as from the database) of `build(values)`,
    a queryset of `model` without values_list(): compiled once per connection and `key`."""
    names = [field.attname for field in model._meta.concrete_fields]
    rows = prepared_rows(key, lambda v: build(v).values_list(*names), values)
    return [model.from_db(DEFAULT_DB_ALIAS, names, row) for row in rows]
