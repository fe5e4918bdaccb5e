"""Model rows read by statements written once per process, for the hot paths where Django
composing a query costs more than running it (about 0.7 ms per query on the development
machine: docs/benchmarks.md, issue 18).

``columns(model)`` is the SELECT list of every concrete field of the model, qualified by its
table's name, in the model's own order (a field added to the model is read too); ``Columns.make``
turns those values of a row into the instance Django would have made of them: the backend's and
the fields' database converters applied, loaded from the database (not ``adding``). A statement
that selects several models' columns slices its rows with ``Columns.count``.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connections
from django.db.models import Field, Model


@dataclass(frozen=True)
class Columns:
    model: type[Model]
    alias: str  # the database connection's alias
    sql: str  # "table"."column", … of every concrete field
    attnames: tuple[str, ...]
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]  # (position, converters, column)

    @property
    def count(self) -> int:
        return len(self.attnames)

    def make(self, values: Sequence[Any]) -> Any:
        """The model instance of these values (``count`` of them, in the order of ``sql``)."""
        values = list(values)
        connection = connections[self.alias]
        for position, converters, column in self.converters:
            value = values[position]
            for converter in converters:
                value = converter(value, column, connection)
            values[position] = value
        return self.model.from_db(self.alias, self.attnames, values)


# Once per model and connection alias: the converters depend on the backend and the settings
# only (the same for every thread's connection to that database).
@cache
def _columns(model: type[Model], alias: str) -> Columns:
    connection = connections[alias]
    quote = connection.ops.quote_name
    table = model._meta.db_table
    fields: list[Field] = list(model._meta.concrete_fields)
    columns = [field.column for field in fields if field.column]
    if len(columns) != len(fields):
        raise ValueError(f"{model.__name__} has a concrete field without a column.")
    converters = []
    for position, field in enumerate(fields):
        column = field.get_col(table)
        # As Django's SQL compiler does for each selected column (SQLCompiler.get_converters).
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((position, tuple(found), column))
    return Columns(
        model=model,
        alias=alias,
        sql=", ".join(f"{quote(table)}.{quote(column)}" for column in columns),
        attnames=tuple(field.attname for field in fields),
        converters=tuple(converters),
    )


def columns(model: type[Model], using: str = "default") -> Columns:
    """The columns of ``model`` as selected from its table on connection ``using``."""
    return _columns(model, using)
