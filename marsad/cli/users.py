"""Manage people and API keys: `marsad users add NAME --role R`, `marsad keys create --role R`.

Roles, each including the ones before it: viewer (read findings, posts, accounts,
networks) < analyst (ingest, classify, review queue, decide new items) < reviewer (decide
escalated items, overrule, read decisions) < admin (users and keys). A key's token is
printed once; only its SHA-256 is stored.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from marsad.cli import add_db_argument

ROLES = ("viewer", "analyst", "reviewer", "admin")


def register(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="people who log in to the web UI", description=__doc__)
    uv = users.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = uv.add_parser("add", help="add a user (asks for the password, or reads $MARSAD_PASSWORD)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--no-password", action="store_true", help="no login (keys only)")
    add_db_argument(add)
    add.set_defaults(func=add_user)
    pw = uv.add_parser("password", help="set a user's password")
    pw.add_argument("name")
    add_db_argument(pw)
    pw.set_defaults(func=set_password)
    ls = uv.add_parser("list", help="list users")
    add_db_argument(ls)
    ls.set_defaults(func=list_users)

    keys = sub.add_parser("keys", help="API keys for programs", description=__doc__)
    kv = keys.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = kv.add_parser("create", help="create a key and print its token (once)")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--name", help="what the key is for")
    add_db_argument(create)
    create.set_defaults(func=create_key)
    revoke = kv.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("key_id", type=int)
    add_db_argument(revoke)
    revoke.set_defaults(func=revoke_key)
    kls = kv.add_parser("list", help="list keys (prefix and role; tokens are not stored)")
    add_db_argument(kls)
    kls.set_defaults(func=list_keys)


def _engine(args):
    from marsad.store.db import connect
    from marsad.store.metadata import metadata
    engine = connect(args.db)
    metadata.create_all(engine)
    return engine


def _password(confirm: bool = True) -> str:
    if os.environ.get("MARSAD_PASSWORD"):
        return os.environ["MARSAD_PASSWORD"]
    first = getpass.getpass("password: ")
    if confirm and getpass.getpass("again: ") != first:
        from marsad.errors import InputError
        raise InputError("the passwords differ", field="password")
    return first


def add_user(args) -> int:
    from marsad.api import auth
    password = None if args.no_password else _password()
    with _engine(args).begin() as conn:
        uid = auth.create_user(conn, args.name, args.role, password)
    print(f"user {args.name!r} ({args.role}) added with id {uid}")
    return 0


def set_password(args) -> int:
    from marsad.api import auth
    password = _password()
    with _engine(args).begin() as conn:
        auth.set_password(conn, args.name, password)
    print(f"password of {args.name!r} changed; their sessions have ended")
    return 0


def list_users(args) -> int:
    from marsad.api import auth
    with _engine(args).connect() as conn:
        for u in auth.list_users(conn):
            print(json.dumps(u, default=str))
    return 0


def create_key(args) -> int:
    from marsad.api import auth
    with _engine(args).begin() as conn:
        key_id, token = auth.create_key(conn, args.role, args.name)
    print(f"key {key_id} ({args.role}); the token is shown only now:", file=sys.stderr)
    print(token)
    return 0


def revoke_key(args) -> int:
    from marsad.api import auth
    with _engine(args).begin() as conn:
        auth.revoke_key(conn, args.key_id)
    print(f"key {args.key_id} revoked")
    return 0


def list_keys(args) -> int:
    from marsad.api import auth
    with _engine(args).connect() as conn:
        for k in auth.list_keys(conn):
            print(json.dumps(k, default=str))
    return 0
