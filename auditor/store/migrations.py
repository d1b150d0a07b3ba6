"""Schema of the run store, as an append-only list of migrations.

``PRAGMA user_version`` holds how many have been applied. Never edit a shipped entry;
append a new one.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: runs, per-item answers, training logs, audits
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'created',
        key TEXT NOT NULL,
        model TEXT,
        adapter TEXT,
        settings TEXT NOT NULL DEFAULT '{}',
        data_checksum TEXT,
        mode TEXT,
        template TEXT,
        versions TEXT NOT NULL DEFAULT '{}',
        git_commit TEXT,
        total INTEGER,
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        record TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX runs_kind ON runs(kind);
    CREATE TABLE answers (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        item_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        attribute TEXT NOT NULL,
        context TEXT NOT NULL,
        polarity TEXT NOT NULL,
        predicted INTEGER,
        role TEXT,
        correct INTEGER NOT NULL,
        scores TEXT NOT NULL DEFAULT '[]',
        text TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (run_id, item_id)
    );
    CREATE INDEX answers_cell ON answers(run_id, attribute, context);
    CREATE TABLE train_logs (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        metrics TEXT NOT NULL,
        created TEXT NOT NULL,
        PRIMARY KEY (run_id, step)
    );
    CREATE TABLE audits (
        id TEXT PRIMARY KEY,
        key TEXT NOT NULL,
        profile TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'created',
        baseline_run TEXT REFERENCES runs(id),
        train_run TEXT REFERENCES runs(id),
        aligned_run TEXT REFERENCES runs(id),
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        record TEXT NOT NULL DEFAULT '{}'
    );
    """,
    # 2: answers per option ordering (option-order rotation); ``answers`` then holds
    # each item's answer aggregated over its orderings
    """
    CREATE TABLE order_answers (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        item_id TEXT NOT NULL,
        ordering TEXT NOT NULL,
        seq INTEGER NOT NULL,
        predicted INTEGER,
        scores TEXT NOT NULL DEFAULT '[]',
        text TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (run_id, item_id, ordering)
    );
    """,
]
