"""Many rows in one plain INSERT … VALUES, for the hot paths that write a row per member.

Django's bulk_create sends rows to PostgreSQL as arrays through UNNEST. With client-side binding (the site's
psycopg setting), psycopg quotes each array element in Python with a regular expression: for a digest batch's
emails, 40 KB each, that quoting was a third of the batch's time. As separate VALUES, each value is quoted once
by libpq. Both PostgreSQL and SQLite (3.35 and later) take RETURNING.
"""

from django.db import connection

# Rows per statement: PostgreSQL takes at most 65,535 parameters in one statement, SQLite 32,766.
ROWS_PER_STATEMENT = 500


def insert_returning(model, rows, names, *, returning=("id",), skip_conflicts_on=()) -> list[tuple]:
    """Insert these unsaved `model` instances' fields `names`; the `returning` columns of each row inserted.

    With `skip_conflicts_on` (the columns of a unique constraint), a row that would break it is skipped and
    returns nothing (ON CONFLICT DO NOTHING): the constraint decides, even against a concurrent transaction.
    """
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    columns = ", ".join(quote(field.column) for field in fields)
    row_values = "(" + ", ".join(["%s"] * len(fields)) + ")"
    conflict = (
        f" ON CONFLICT ({', '.join(quote(column) for column in skip_conflicts_on)}) DO NOTHING"
        if skip_conflicts_on
        else ""
    )
    returned = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            params = [field.get_db_prep_save(getattr(row, field.attname), connection) for row in chunk for field in fields]
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {', '.join([row_values] * len(chunk))}"
                f"{conflict} RETURNING {', '.join(quote(column) for column in returning)}",
                params,
            )
            returned.extend(cursor.fetchall())
    return returned
