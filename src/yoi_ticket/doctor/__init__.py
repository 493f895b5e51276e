"""``yoi ticket doctor``: rules, their registry, and the runner."""
