"""SQLite storage: the connection owner, migrations and repository functions."""

from bot.db.database import Database, DatabaseBusyError, DatabaseError, SchemaTooNewError

__all__ = ["Database", "DatabaseBusyError", "DatabaseError", "SchemaTooNewError"]
