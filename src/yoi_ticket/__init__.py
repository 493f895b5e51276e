"""yoi-ticket: read, check and locally assign the ``.yoi/tickets`` store."""

__version__ = "0.1.0"
