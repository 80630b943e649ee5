"""``diagnose keys create|list|revoke``: keys of the HTTP API, made on the database directly."""
from __future__ import annotations

import click

from ._options import emit, format_option, note


@click.group()
def keys() -> None:
    """Keys of the HTTP API (diagnose serve): made here, on the database, or with an admin key."""


@keys.command()
@click.option("--project", help="The project the key reads (and with --write, writes); created when missing.")
@click.option("--write", is_flag=True, help="The key may also submit, delete runs and store tags.")
@click.option("--admin", is_flag=True, help="An admin key: every project, and it creates projects and keys.")
@click.option("--name", help="Who or what uses the key (a CI job, a reviewer); tags stored with it carry it.")
def create(project, write, admin, name):
    """Make a key and print it once: only its hash is stored, so keep it now."""
    from ..service import session
    from ..store import create_key

    if admin and (project or write):
        raise click.UsageError("an admin key belongs to no project: give --admin alone (with --name)")
    if not admin and not project:
        raise click.UsageError("give --project P (a project key) or --admin")
    scope = "admin" if admin else "write" if write else "read"
    with session() as s, s.begin():
        info, secret = create_key(s, project=project, scope=scope, name=name)
    note(f"created key {info.id} '{info.name}' ({scope}{'' if admin else ' on project ' + str(project)}); "
         "it is shown only now")
    click.echo(secret)


@keys.command(name="list")
@click.option("--project", help="Only the keys of this project.")
@format_option
def list_(project, fmt):
    """List the keys (never their secrets), revoked ones too."""
    from ..service import session
    from ..store import KeyList, list_keys

    with session() as s:
        result = KeyList(keys=tuple(list_keys(s, project)))
    emit(result, fmt)


@keys.command()
@click.argument("key_id", metavar="ID", type=int)
def revoke(key_id):
    """Revoke key ID: it stops working at once."""
    from ..service import session
    from ..store import revoke_key

    with session() as s, s.begin():
        info = revoke_key(s, key_id)
    note(f"revoked key {info.id} '{info.name}'")
