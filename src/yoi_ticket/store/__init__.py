"""The tracked ticket store: ids, workspace, config, item, thread, artifacts, reading."""
