"""Test harness shared by the tests and bench/: corpus workspaces, doctor runs, overlay
set-ups, and the reliability workers."""
