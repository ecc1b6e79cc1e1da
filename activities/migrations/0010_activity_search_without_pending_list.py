"""PostgreSQL: the full-text index ``activity_search`` without GIN's pending list
(``fastupdate = off``), and the list there now merged into the index.

With the list, an insert appends its vector's entries to a list that every search reads
through in full, until the list passes ``gin_pending_list_limit`` (4 MB): the write that
passes it merges the whole list into the index (tens of milliseconds), a spike that lands on
whichever single create or batch comes then. Measured with ``../shared/bench/ingest_floor.py``:
the 500-item batch took 57–63 ms (7,900 activities/s) or 45 ms (10,000/s) depending on whether
its writes or the floor's rolled-back COPY before them paid the merge. Without the list each
insert updates the index itself: a batch's median time was unchanged (short activity texts
have few lexemes), searches read no list, and no write pays for others'.
"""

from django.db import migrations

INDEX = "activity_search"


def set_fastupdate(on: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f'ALTER INDEX "{INDEX}" SET (fastupdate = {"on" if on else "off"})')
        if not on:
            schema_editor.execute(f"SELECT gin_clean_pending_list('{INDEX}'::regclass)")

    return run


class Migration(migrations.Migration):
    dependencies = [("activities", "0009_dedup_key_external_id_first")]

    operations = [migrations.RunPython(set_fastupdate(False), set_fastupdate(True))]
