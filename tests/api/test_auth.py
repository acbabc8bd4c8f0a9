"""Keys stored hashed, scrypt passwords, signed sessions that tampering, expiry and a
password change all end."""
from __future__ import annotations

import hashlib

import httpx
import pytest
from sqlalchemy import select

from marsad.api import auth
from marsad.errors import Conflict, InputError, NotFound
from marsad.store.db import connect
from marsad.store.tables_review import api_keys, users
from tests.api.server import PASSWORD


@pytest.fixture
def engine(tmp_path):
    return connect(f"sqlite:///{tmp_path / 'auth.db'}")


def test_key_is_stored_only_as_its_sha256(engine):
    with engine.begin() as conn:
        key_id, token = auth.create_key(conn, "analyst", name="importer")
    with engine.connect() as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).one()
        dump = "\n".join(str(v) for r in conn.execute(select(api_keys)) for v in r)
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in dump and token[10:] not in dump
    assert len(token) > 40 and token.startswith("mk_")
    with engine.connect() as conn:
        assert auth.key_principal(conn, token).role == "analyst"
        assert auth.key_principal(conn, token + "x") is None
        assert auth.key_principal(conn, row.key_hash) is None   # the stored hash is not a key


def test_revoked_key_is_refused(engine):
    with engine.begin() as conn:
        key_id, token = auth.create_key(conn, "viewer")
        auth.revoke_key(conn, key_id)
        assert auth.key_principal(conn, token) is None
        with pytest.raises(NotFound):
            auth.revoke_key(conn, key_id)


def test_passwords_use_scrypt_with_salt(engine):
    a, b = auth.hash_password("same password"), auth.hash_password("same password")
    assert a != b and a.startswith("scrypt$")
    assert auth.verify_password("same password", a) and not auth.verify_password("same passwore", a)
    with pytest.raises(InputError):
        auth.hash_password("short")
    with engine.begin() as conn:
        auth.create_user(conn, "amal", "reviewer", "a long passphrase")
        with pytest.raises(Conflict):
            auth.create_user(conn, "amal", "viewer")
        with pytest.raises(InputError):
            auth.create_user(conn, "x", "superuser")
        stored = conn.execute(select(users.c.password_hash).where(users.c.name == "amal")).scalar()
        assert "a long passphrase" not in stored
        assert auth.login(conn, "amal", "a long passphrase")["role"] == "reviewer"
        assert auth.login(conn, "amal", "wrong passphrase") is None
        assert auth.login(conn, "nobody", "a long passphrase") is None


def test_session_cookie_signature_expiry_and_password_change(engine):
    sessions = auth.Sessions("secret-1")
    with engine.begin() as conn:
        uid = auth.create_user(conn, "omar", "analyst", "first passphrase")
        pw = conn.execute(select(users.c.password_hash).where(users.c.id == uid)).scalar()
    cookie = sessions.issue(uid, pw)
    with engine.connect() as conn:
        who = auth.session_principal(conn, sessions, cookie)
        assert (who.actor, who.role) == ("user:omar", "analyst") and who.csrf
        uid_, exp, mark, sig = cookie.split(".")
        forged = ".".join([str(uid + 1), exp, mark, sig])                   # another user id
        assert auth.session_principal(conn, sessions, forged) is None
        assert auth.session_principal(conn, auth.Sessions("other secret"), cookie) is None
        assert auth.session_principal(conn, sessions, sessions.issue(uid, pw, seconds=-1)) is None
    with engine.begin() as conn:
        auth.set_password(conn, "omar", "second passphrase")
    with engine.connect() as conn:
        assert auth.session_principal(conn, sessions, cookie) is None       # password change ends it


def test_login_over_http_sets_a_strict_httponly_cookie_and_needs_csrf(site):
    with httpx.Client(base_url=site.url, timeout=30) as c:
        r = c.post("/login", data={"name": site.users["analyst"], "password": "wrong password!"})
        assert r.status_code == 401
        r = c.post("/login", data={"name": site.users["analyst"], "password": PASSWORD, "next": "//evil.example/"})
        assert r.status_code == 303 and r.headers["location"] == "/"       # no open redirect
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert c.get("/api/me").json()["actor"] == f"user:{site.users['analyst']}"
        form = {"platform": "x", "post_id": "nope", "decision": "harm", "reason": "r"}
        r = c.post("/queue/decide", data=form, headers={"accept": "application/json"})
        assert r.status_code == 403 and "CSRF" in r.text                     # cookie alone is not enough
        page = c.get("/queue").text
        token = page.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]
        r = c.post("/queue/decide", data=form, headers={"X-CSRF-Token": token})
        assert r.status_code == 404                                          # past auth: no such post
        r = c.post("/logout", data={"csrf_token": token})
        assert r.status_code == 303
        assert c.get("/api/me").status_code == 401


def test_docs_and_openapi_are_served_offline(site):
    with httpx.Client(base_url=site.url, timeout=30) as c:
        html = c.get("/docs").text
        assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
        assert c.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
        spec = c.get("/openapi.json").json()
        assert "/api/classify" in spec["paths"] and "/api/decisions" in spec["paths"]
        assert "/queue/decide" not in spec["paths"]                          # pages are not API


def test_oversized_token_is_refused_without_lookup(engine):
    with engine.connect() as conn:
        assert auth.key_principal(conn, "mk_" + "a" * 5000) is None


def test_failed_logins_are_throttled(tmp_path):
    from tests.api.server import site as make_site
    with make_site(f"sqlite:///{tmp_path / 'th.db'}", tmp_path) as s:
        s.app.state.login_throttle.limit = 3
        with httpx.Client(base_url=s.url, timeout=30) as c:
            for _ in range(3):
                assert c.post("/login", data={"name": s.users["viewer"], "password": "guess guess"}).status_code == 401
            r = c.post("/login", data={"name": s.users["viewer"], "password": PASSWORD},
                       headers={"accept": "application/json"})
            assert r.status_code == 429                      # even the right password, for now
            assert r.json()["error"]["code"] == "too_many_attempts"
