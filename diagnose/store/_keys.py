"""Keys of the HTTP API: made, listed, revoked and checked here; only a hash of each is kept.

A key reads ``dgk_<prefix>_<secret>``. The prefix is its public part (it finds the row);
the row holds the sha256 of the whole key, compared in constant time. Whoever reads the
database learns no key.

>>> import os, tempfile
>>> from diagnose.service import session
>>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
...     info, secret = create_key(s, project="churn", scope="write", name="ci")
...     found = verify_key(s, secret)
...     (found.name, found.project, found.can_write), verify_key(s, secret[:-1] + "x") is None
(('ci', 'churn', True), True)
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..exceptions import UsageError
from ._dialects import claim_write_lock
from ._models import ApiKey, Project, utcnow
from ._runs import check_length, find_project
from ._values import KeyInfo

SCOPES = ("read", "write", "admin")
KEY_START = "dgk_"
# compared against when no row has the prefix, so a wrong prefix costs the same as a wrong secret
_NO_HASH = "0" * 64


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _utc(value: Optional[datetime]) -> Optional[datetime]:
    # SQLite hands back naive datetimes, written in UTC
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _info(row: ApiKey, project: Optional[str]) -> KeyInfo:
    return KeyInfo(id=row.id, name=row.name, project=project, scope=row.scope, prefix=row.prefix,
                   created_at=_utc(row.created_at) or utcnow(), revoked_at=_utc(row.revoked_at))


def create_key(session: Session, *, project: str | None, scope: str = "read",
               name: str | None = None) -> tuple[KeyInfo, str]:
    """Make a key; returns its description and the key itself, which is never stored or shown
    again. A read or write key belongs to ``project`` (created when missing); an admin key to none.

    >>> import os, tempfile
    >>> from diagnose.service import session
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     info, secret = create_key(s, project="churn")
    ...     info.scope, info.name, secret.startswith("dgk_" + info.prefix + "_")
    ('read', 'churn-read-1', True)
    """
    if scope not in SCOPES:
        raise UsageError(f"unknown key scope '{scope}'; choose one of {', '.join(SCOPES)}")
    if (scope == "admin") == bool(project):
        raise UsageError("an admin key belongs to no project; a read or write key needs one (--project)")
    if name is not None:
        name = name.strip()
        if not name:
            raise UsageError("a key's name cannot be empty; leave --name out for a generated one")
        check_length("key name", name, ApiKey.__table__.c.name)
    claim_write_lock(session)
    project_id = find_project(session, project, create=True) if project else None
    prefix = secrets.token_hex(6)
    secret = f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(name=name or "", project_id=project_id, scope=scope, prefix=prefix, key_hash=_digest(secret),
                 created_at=utcnow())
    session.add(row)
    session.flush()
    if not name:  # the id is known only now
        row.name = f"{project or 'admin'}-{scope}-{row.id}"
        session.flush()
    return _info(row, project), secret


def list_keys(session: Session, project: str | None = None) -> list[KeyInfo]:
    """Every key (or those of ``project``), oldest first, revoked ones included.

    >>> import os, tempfile
    >>> from diagnose.service import session
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _ = create_key(s, project="a"), create_key(s, project="b", scope="write")
    ...     [(k.project, k.scope) for k in list_keys(s)], len(list_keys(s, "b"))
    ([('a', 'read'), ('b', 'write')], 1)
    """
    query = (select(ApiKey, Project.name).outerjoin(Project, ApiKey.project_id == Project.id)
             .order_by(ApiKey.id))
    if project is not None:
        query = query.where(ApiKey.project_id == find_project(session, project, create=False))
    return [_info(row, name) for row, name in session.execute(query).all()]


def revoke_key(session: Session, key_id: int) -> KeyInfo:
    """Revoke a key: it stops working at once (its row stays, for the record).

    >>> import os, tempfile
    >>> from diagnose.service import session
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     info, secret = create_key(s, project="a")
    ...     revoke_key(s, info.id).revoked_at is not None, verify_key(s, secret)
    (True, None)
    """
    claim_write_lock(session)
    row = session.get(ApiKey, key_id)
    if row is None:
        raise UsageError(f"no key with id {key_id}; `diagnose keys list` shows them")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    project = session.scalar(select(Project.name).where(Project.id == row.project_id)) if row.project_id else None
    return _info(row, project)


def verify_key(session: Session, key: str) -> KeyInfo | None:
    """The live key that ``key`` is, or None (unknown, malformed or revoked). The hashes are
    compared in constant time.

    >>> import os, tempfile
    >>> from diagnose.service import session
    >>> with session("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")) as s, s.begin():
    ...     _, secret = create_key(s, project="a", name="ci")
    ...     verify_key(s, secret).name, verify_key(s, "not a key")
    ('ci', None)
    """
    prefix = key[len(KEY_START):].split("_", 1)[0] if key.startswith(KEY_START) else ""
    found = session.execute(
        select(ApiKey, Project.name).outerjoin(Project, ApiKey.project_id == Project.id)
        .where(ApiKey.prefix == prefix)).first() if prefix else None
    stored = found[0].key_hash if found is not None else _NO_HASH
    matches = hmac.compare_digest(stored.encode("ascii"), _digest(key).encode("ascii"))
    if found is None or not matches or found[0].revoked_at is not None:
        return None
    return _info(found[0], found[1])
