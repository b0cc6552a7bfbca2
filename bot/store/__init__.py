"""Persistence: SQLModel tables, the content loader, queries and migrations."""
