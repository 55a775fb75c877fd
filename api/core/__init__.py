"""What every feature stands on: the database and its statements, problems, tokens,
settings, request bounds and paging. Nothing here imports a feature."""
