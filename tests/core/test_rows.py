"""core.rows: a model's row read by a statement written once makes the instance the ORM makes."""

import pytest
from django.db import connection

from accounts.models import Organisation
from core import rows
from vault.models import AccessEvent, Pod, PodCredential


def _by_statement(model, pk):
    columns = rows.columns(model)
    quote = connection.ops.quote_name
    table, key = quote(model._meta.db_table), quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns.sql} FROM {table} WHERE {table}.{key} = %s",  # noqa: S608 - our own names
            [model._meta.pk.get_db_prep_value(pk, connection)],
        )
        return columns.make(cursor.fetchone())


def _values(instance):
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


@pytest.mark.parametrize("model", [Pod, PodCredential, Organisation, AccessEvent])
def test_a_row_read_by_its_columns_is_the_instance_the_orm_reads(model, citizen, issued):
    """Every concrete field, converted as the ORM converts it (UUIDs, aware datetimes, JSON,
    bytes on SQLite as on PostgreSQL), and loaded from the database rather than new."""
    expected = model.objects.order_by("pk").last()
    made = _by_statement(model, expected.pk)
    assert type(made) is model
    assert _values(made) == _values(expected)
    assert {name: type(value) for name, value in _values(made).items()} == {
        name: type(value) for name, value in _values(expected).items()
    }
    assert (made._state.adding, made._state.db) == (False, "default")
    made.full_clean()  # what the instance holds is valid as the model declares it


def test_the_columns_are_every_concrete_field_in_the_models_order():
    columns = rows.columns(PodCredential)
    assert columns.attnames == tuple(field.attname for field in PodCredential._meta.concrete_fields)
    assert columns.count == len(PodCredential._meta.concrete_fields)
    assert columns.sql.startswith('"vault_podcredential"."id", "vault_podcredential"."pod_id"')
