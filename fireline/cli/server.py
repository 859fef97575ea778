"""CLI commands (being written)."""

import click


def register(main: click.Group) -> None:
    """Add this module's commands to the ``fireline`` group."""
