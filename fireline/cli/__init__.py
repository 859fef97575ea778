"""The ``fireline`` command.

Most commands are clients of a running server's API, like ``gh`` or
``kubectl``: ``FIRELINE_URL`` and ``FIRELINE_TOKEN`` (or the file written by
``fireline login``) say where and who. Only the commands that must work
without a server open the database directly: ``serve``, ``worker``, ``db``,
``setup``, ``demo``, ``audit``, ``plan``, ``export`` and ``import``.
"""

from __future__ import annotations

import click

from fireline import __version__
from fireline.cli import (
    alerts,
    archive,
    audit,
    demo,
    evidence,
    exercises,
    incidents,
    insights,
    integrations,
    jobs,
    maturity,
    obligations,
    observables,
    oncall,
    people,
    plan,
    playbooks,
    postmortems,
    server,
    status,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fireline")
def main() -> None:
    """fireline: incident response from the first alert to the last lesson learned."""


for module in (
    server,
    people,
    demo,
    incidents,
    integrations,
    alerts,
    oncall,
    status,
    jobs,
    plan,
    audit,
    archive,
    evidence,
    observables,
    obligations,
    playbooks,
    postmortems,
    exercises,
    maturity,
    insights,
):
    module.register(main)
