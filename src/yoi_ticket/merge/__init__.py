"""Merging ticket files: the git merge driver and its three-way merges."""
