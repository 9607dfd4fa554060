"""Migration 7: the search index keeps the texts people search for, not the prompts sent to models.

Prompts were most of the index (a sub-call's prompt is usually a piece of the document, indexed again for
every sub-call) and about half of the ingest time of a run with many sub-calls. Questions, answers, code,
output and responses stay searchable. The index is rebuilt from the rows it keeps (cheaper than deleting
the prompt rows one by one, which re-tokenises each of them).
"""

from __future__ import annotations

import sqlite3

SEARCH_INDEX_DDL = """CREATE VIRTUAL TABLE search_index USING fts5(
        text, run_id UNINDEXED, node_id UNINDEXED, field UNINDEXED, tokenize = 'unicode61'
    )"""


def m007_search_without_prompts(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE search_index RENAME TO search_index_before_m007")
    conn.execute(SEARCH_INDEX_DDL)
    conn.execute("INSERT INTO search_index(text, run_id, node_id, field) SELECT text, run_id, node_id, field "
                 "FROM search_index_before_m007 WHERE field != 'prompt' ORDER BY rowid")
    conn.execute("DROP TABLE search_index_before_m007")
