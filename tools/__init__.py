"""Maintenance commands of the repository (not part of the workflow)."""
