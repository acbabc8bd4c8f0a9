"""Who is calling, and may they: API keys, password login, signed session cookies, roles.

Roles are ordered ``viewer < analyst < reviewer < admin``; a role may do everything the
roles below it may. Every route declares the least role it needs with ``require(role)``
(a FastAPI dependency that returns the caller as a ``Principal``); a test walks the app's
route table and fails on any route that declares none and is not in ``app.PUBLIC``.

Two ways in, both checked by the same dependency:

* ``Authorization: Bearer <key>`` (or ``X-API-Key``) for programs. A key is a random
  256-bit token shown once at creation; the store keeps only its SHA-256 (a fast hash is
  right for a high-entropy random token: there is nothing to brute-force, unlike a
  password), so a copy of the database grants nobody access.
* Password login for people: scrypt (stdlib ``hashlib.scrypt``) password hashes, then a
  session cookie ``uid.expires.mark.sig`` signed with HMAC-SHA256 under ``SECRET_KEY``.
  ``mark`` is derived from the stored password hash, so changing a password or disabling
  the user ends every session. Hand-written rather than Starlette's ``SessionMiddleware``
  because that needs ``itsdangerous`` and keeps a whole dict in the cookie; this needs
  four fields and twenty lines of ``hmac``.

Browser requests that change state carry a CSRF token (``X-CSRF-Token`` header, or the
``csrf_token`` form field) derived from the session cookie; the cookie is also
``SameSite=Strict`` and ``HttpOnly``. Key-authenticated requests need no CSRF token.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from marsad import settings
from marsad.errors import Conflict, Forbidden, InputError, MarsadError, NotFound
from marsad.store.tables_review import api_keys, users

ROLES = ("viewer", "analyst", "reviewer", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}
COOKIE = "marsad_session"
SESSION_SECONDS = 12 * 3600
KEY_PREFIX = "mk_"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}   # OWASP's scrypt floor; ~50 ms per login here


class Unauthorized(MarsadError):
    """No valid key or session: log in or send a key."""

    exit_code = 5
    http_status = 401


@dataclass(frozen=True)
class Principal:
    """The caller: ``actor`` is what the audit log records (``user:NAME`` or ``key:ID``)."""

    actor: str
    name: str
    role: str
    via: str                     # "key" | "session"
    user_id: int | None = None
    csrf: str | None = None      # session callers: the token their forms must send back

    def may(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


def check_role(role: str) -> str:
    if role not in RANK:
        raise InputError(f"unknown role {role!r}; one of: {', '.join(ROLES)}", field="role")
    return role


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ---- passwords ------------------------------------------------------------------------
def hash_password(password: str) -> str:
    if not password or len(password) < 8:
        raise InputError("a password needs at least 8 characters", field="password")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                         dklen=len(digest) // 2)
    return hmac.compare_digest(got.hex(), digest)


# A real hash to check against when the user does not exist, so a login attempt takes
# the same time whether or not the name is known.
_DUMMY_HASH = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(16))
    return _DUMMY_HASH


# ---- users and keys (the library calls behind `marsad users` / `marsad keys`) ----------
def create_user(conn: Connection, name: str, role: str, password: str | None = None) -> int:
    name = (name or "").strip()
    if not name or len(name) > 255:
        raise InputError("a user name is 1-255 characters", field="name")
    check_role(role)
    if conn.execute(select(users.c.id).where(users.c.name == name)).first():
        raise Conflict(f"user {name!r} exists")
    return conn.execute(users.insert().values(
        name=name, role=role, password_hash=hash_password(password) if password else None,
        disabled=False, created_at=_now())).inserted_primary_key[0]


def set_password(conn: Connection, name: str, password: str) -> None:
    if not conn.execute(update(users).where(users.c.name == name)
                        .values(password_hash=hash_password(password))).rowcount:
        raise NotFound(f"no user {name!r}")


def list_users(conn: Connection) -> list[dict]:
    return [{"id": r.id, "name": r.name, "role": r.role, "disabled": r.disabled,
             "has_password": r.password_hash is not None, "created_at": r.created_at}
            for r in conn.execute(select(users).order_by(users.c.id))]


def key_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(conn: Connection, role: str, name: str | None = None,
               user_id: int | None = None) -> tuple[int, str]:
    """A new key: ``(id, token)``. The token is returned once and never stored."""
    check_role(role)
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    key_id = conn.execute(api_keys.insert().values(
        prefix=token[:10], key_hash=key_hash(token), role=role, name=name, user_id=user_id,
        created_at=_now())).inserted_primary_key[0]
    return key_id, token


def revoke_key(conn: Connection, key_id: int) -> None:
    if not conn.execute(update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                        .values(revoked_at=_now())).rowcount:
        raise NotFound(f"no active key {key_id}")


def list_keys(conn: Connection) -> list[dict]:
    return [{"id": r.id, "prefix": r.prefix, "role": r.role, "name": r.name, "user_id": r.user_id,
             "created_at": r.created_at, "revoked_at": r.revoked_at}
            for r in conn.execute(select(api_keys).order_by(api_keys.c.id))]


def key_principal(conn: Connection, token: str) -> Principal | None:
    if not token.startswith(KEY_PREFIX) or len(token) > 200:
        return None
    row = conn.execute(select(api_keys.c.id, api_keys.c.role, api_keys.c.name)
                       .where(api_keys.c.key_hash == key_hash(token), api_keys.c.revoked_at.is_(None))).first()
    if row is None:
        return None
    return Principal(actor=f"key:{row.id}", name=row.name or f"key {row.id}", role=row.role, via="key")


def login(conn: Connection, name: str, password: str) -> dict | None:
    """The user row for a correct name and password, else None (same cost either way)."""
    row = conn.execute(select(users).where(users.c.name == name)).first()
    ok = verify_password(password, row.password_hash if row is not None and row.password_hash else _dummy_hash())
    if row is None or not ok or row.disabled or not row.password_hash:
        return None
    return dict(row._mapping)


# ---- signed session cookie -------------------------------------------------------------
class Sessions:
    """Signs and checks ``uid.expires.mark.sig`` cookies under one secret."""

    def __init__(self, secret: str | None = None):
        secret = secret or settings.get("SECRET_KEY") or secrets.token_hex(32)
        self.key = hashlib.sha256(b"marsad-session:" + secret.encode()).digest()

    def _sig(self, payload: str) -> str:
        return hmac.new(self.key, payload.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def mark(password_hash: str | None) -> str:
        return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]

    def issue(self, user_id: int, password_hash: str, seconds: int = SESSION_SECONDS) -> str:
        payload = f"{user_id}.{int(time.time()) + seconds}.{self.mark(password_hash)}"
        return f"{payload}.{self._sig(payload)}"

    def read(self, cookie: str) -> tuple[int, str] | None:
        """``(user_id, mark)`` of a well-signed, unexpired cookie, else None."""
        try:
            uid, expires, mark, sig = cookie.split(".")
            if not hmac.compare_digest(sig, self._sig(f"{uid}.{expires}.{mark}")):
                return None
            if int(expires) < time.time():
                return None
            return int(uid), mark
        except ValueError:
            return None

    def csrf(self, cookie: str) -> str:
        return hmac.new(self.key, b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()[:32]


def session_principal(conn: Connection, sessions: Sessions, cookie: str) -> Principal | None:
    got = sessions.read(cookie)
    if got is None:
        return None
    uid, mark = got
    row = conn.execute(select(users).where(users.c.id == uid)).first()
    if row is None or row.disabled or not hmac.compare_digest(sessions.mark(row.password_hash), mark):
        return None
    return Principal(actor=f"user:{row.name}", name=row.name, role=row.role, via="session",
                     user_id=row.id, csrf=sessions.csrf(cookie))


# ---- the dependency --------------------------------------------------------------------
def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.headers.get("x-api-key")


async def authenticate(request: Request) -> Principal | None:
    """The caller of ``request`` (cached on it), or None when there is no valid credential."""
    if "principal" in request.scope:
        return request.scope["principal"]
    engine, sessions = request.app.state.engine, request.app.state.sessions
    token, cookie = _bearer(request), request.cookies.get(COOKIE)

    def lookup() -> Principal | None:
        with engine.connect() as conn:
            if token:
                return key_principal(conn, token)
            if cookie:
                return session_principal(conn, sessions, cookie)
        return None

    principal = await run_in_threadpool(lookup) if (token or cookie) else None
    if principal is not None and principal.via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token")
        if sent is None and "form" in request.headers.get("content-type", ""):
            sent = (await request.form()).get("csrf_token")
        if not (isinstance(sent, str) and hmac.compare_digest(sent, principal.csrf)):
            raise Forbidden("missing or wrong CSRF token; reload the page")
    request.scope["principal"] = principal
    return principal


# Declares the key scheme in the OpenAPI document (so /docs has an "Authorize" button); the
# header itself is read by ``authenticate``, which also accepts X-API-Key and the session.
_bearer_scheme = HTTPBearer(auto_error=False, scheme_name="API key",
                            description="`marsad keys create --role ROLE` prints a key")


def require(role: str):
    """A FastAPI dependency admitting callers of ``role`` or above; returns the Principal."""
    check_role(role)

    async def dependency(request: Request, _key=Depends(_bearer_scheme)) -> Principal:
        principal = await authenticate(request)
        if principal is None:
            raise Unauthorized("log in or send an API key (Authorization: Bearer ...)")
        if not principal.may(role):
            raise Forbidden(f"this needs the {role} role; you are {principal.role}")
        return principal

    dependency.role = role   # read by the route-table test and the docs
    dependency.__name__ = f"require_{role}"
    return dependency


def public(why: str):
    """A FastAPI dependency marking a route anyone may call, and saying why (health check,
    login form, tip line...). It checks nothing; the route-table test reads ``why``."""

    async def dependency() -> None:
        return None

    dependency.public = why
    dependency.__name__ = "public"
    return dependency


def route_table(app) -> list[tuple[str, str, str | None]]:
    """``(method, path, access)`` for every route of ``app``, access as ``route_access``."""
    out = []
    for route in app.routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else None
        pairs = [(c.methods, c.path, c.original_route) for c in contexts] if contexts is not None \
            else [(getattr(route, "methods", None) or {"*"}, route.path, route)]
        for methods, path, original in pairs:
            for method in sorted(set(methods) - {"HEAD"}):
                out.append((method, path, route_access(original)))
    return out


def route_access(route) -> str | None:
    """The role a route requires, ``"public"``, or None when it declares neither."""
    stack = list(getattr(getattr(route, "dependant", None), "dependencies", []))
    while stack:
        dep = stack.pop()
        if getattr(dep.call, "role", None):
            return dep.call.role
        if getattr(dep.call, "public", None):
            return "public"
        stack.extend(dep.dependencies)
    return None


class TooManyAttempts(MarsadError):
    exit_code = 5
    http_status = 429


class LoginThrottle:
    """At most ``limit`` failed logins per client address and per user name in ``window``
    seconds (kept in memory, bounded): scrypt makes each guess slow, this makes many
    guesses impossible. A success does not reset the count for the address."""

    def __init__(self, limit: int = 10, window: float = 300.0, max_keys: int = 10000):
        import collections
        import threading
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._fails: "collections.OrderedDict[str, list[float]]" = collections.OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        times = [t for t in self._fails.get(key, ()) if now - t < self.window]
        if times:
            self._fails[key] = times
            self._fails.move_to_end(key)
        else:
            self._fails.pop(key, None)
        return times

    def check(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            if any(len(self._recent(k, now)) >= self.limit for k in keys):
                raise TooManyAttempts("too many failed logins; wait a few minutes")

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._fails.setdefault(k, []).append(now)
                self._fails.move_to_end(k)
            while len(self._fails) > self.max_keys:
                self._fails.popitem(last=False)
