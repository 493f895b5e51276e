"""yoi-ticket: read, check and locally assign the ``.yoi/tickets`` store."""

__version__ = "0.1.0"

# The "version" of every JSON document the commands print (SPEC 8): one number for all
# of them, raised when any shape changes incompatibly. Every layer may import it.
JSON_VERSION = 1
