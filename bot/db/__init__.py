"""SQLite storage: the connection owner, migrations and repository functions."""

from bot.db.database import Database, DatabaseError, SchemaTooNewError

__all__ = ["Database", "DatabaseError", "SchemaTooNewError"]
