"""The ``warden`` command."""

from __future__ import annotations

import sys

import click

from warden.cli.accounts import accounts_group
from warden.cli.audit import audit_group
from warden.cli.check import check_command
from warden.cli.demo import demo_command
from warden.cli.inbox import inbox_group
from warden.cli.init import init_command
from warden.cli.policy import policy_group
from warden.cli.serve import serve_command
from warden.cli.stats import stats_command
from warden.cli.worker import worker_command
from warden.domain.errors import WardenError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="warden")
def cli() -> None:
    """Warden: social media risk and compliance."""


cli.add_command(check_command)
cli.add_command(demo_command)
cli.add_command(policy_group)
cli.add_command(init_command)
cli.add_command(audit_group)
cli.add_command(stats_command)
cli.add_command(serve_command)
cli.add_command(worker_command)
cli.add_command(accounts_group)
cli.add_command(inbox_group)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except WardenError as exc:
        click.echo(f"error [{exc.code}]: {exc.message}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
