"""The SQLite run store: schema migrations and the runs, answers and audits it holds."""
