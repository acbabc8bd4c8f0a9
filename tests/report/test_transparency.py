"""The transparency report: the plots are there, the figures are right, and no identifier
of any person (phones, handles, account ids, URLs, post text, tip contacts) is in it."""
from __future__ import annotations

import base64
import re

import pytest

from marsad.cli import main
from marsad.refer import packages, tracking
from marsad.report import transparency
from marsad.review import tips
from marsad.store.db import connect
from tests.refer import seed

FIGURES = ("found_by_harm", "found_by_platform", "found_by_language", "referral_outcomes", "removal_times",
           "networks")
CONTACT = "whatsapp +44 7700 900777, ask for Samira"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    url = seed.store(f"sqlite:///{tmp / 'm.db'}")
    engine = connect(url)
    with engine.begin() as conn:
        packages.refer_confirmed(conn, actor="user:ana")
        for p in packages.build_packages(conn, actor="user:ana"):
            packages.mark_sent(conn, p["id"], actor="user:ana", at="2026-01-10T00:00:00Z")
        tracking.record_outcome(conn, 1, "removed", actor="user:ana", decided_at="2026-01-10T04:00:00Z")
        tracking.record_outcome(conn, 2, "removed", actor="user:ana", decided_at="2026-01-10T08:00:00Z")
        tracking.record_outcome(conn, 3, "declined", actor="user:ana", decided_at="2026-01-11T00:00:00Z")
        tips.submit(conn, text="a page sells seats on boats, the child of my neighbour was asked for photos",
                    url="https://www.facebook.com/groups/999/posts/5", contact=CONTACT)
    return url, tmp


NETWORKS = [{"id": "net-1", "accounts": ["acc-1", "acc-7"], "platforms": ["facebook", "x"],
             "shared": ["+218910000101"], "posts": 3, "labels": {"migrant_smuggling": 2}},
            {"id": "net-2", "accounts": ["acc-8", "acc-9"], "platforms": ["tiktok"], "shared": ["@nobody"],
             "posts": 2, "labels": {}}]


def _secrets() -> list[str]:
    values = list(seed.IDENTIFIERS) + ["+218910000101", "@nobody", CONTACT, "Samira", "900777"]
    for plat, pid, author, handle, _, _, _, text, url, *_ in seed.POSTS:
        values += [text, text[:25], author, handle]
        if url:
            values += [url, url.split("//")[1]]
    return [v for v in values if v]


def test_report_has_the_plots_and_no_identifiers(store, tmp_path):
    url, _ = store
    with connect(url).connect() as conn:
        data = transparency.write(conn, "2026-01-01", "2026-02-01", tmp_path / "r.html", pdf=tmp_path / "r.pdf",
                                  networks=NETWORKS)
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    for fid in FIGURES:
        assert f'<figure id="{fid}"><img alt=' in html
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == len(FIGURES)
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert "http://" not in html and "https://" not in html and "<script" not in html
    leaked = [s for s in _secrets() if s in html]
    assert leaked == []
    pdf = (tmp_path / "r.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1
    assert not [s for s in _secrets() if s.encode() in pdf]
    # the figures behind the plots
    assert data["found"]["total"] == 5
    assert data["found"]["by_harm"]["migrant_smuggling"] == [0, 2, 0, 0, 0]     # weeks from Mon 29 Dec
    t = data["referrals"]["total"]
    assert (t["sent"], t["removed"], t["declined"], t["removal_rate"], t["median_hours_to_removal"]) == (
        5, 2, 1, 0.4, 6.0)
    assert data["networks"] == {"found": 2, "with_referrals": 1, "disrupted": 1, "disrupted_share": 0.8}


def test_report_counts_only_what_is_in_the_period(store):
    url, _ = store
    with connect(url).connect() as conn:
        data = transparency.collect(conn, "2026-03-01", "2026-04-01")
    assert data["found"]["total"] == 0 and data["referrals"]["total"]["sent"] == 0
    assert data["networks"] is None
    html = transparency.render_html(data)
    assert html.count("data:image/png;base64,") == len(FIGURES)


def test_cli_report(store, tmp_path, capsys):
    url, tmp = store
    out = tmp_path / "report.html"
    assert main(["report", "--db", url, "--from", "2026-01-01", "--to", "2026-02-01", "--out", str(out),
                 "--no-networks"]) == 0
    assert "5 item(s) found, 5 referred, 2 removed" in capsys.readouterr().out
    assert not [s for s in _secrets() if s in out.read_text(encoding="utf-8")]


def test_period_must_be_ordered(store):
    url, _ = store
    from marsad.errors import InputError
    with connect(url).connect() as conn, pytest.raises(InputError):
        transparency.collect(conn, "2026-02-01", "2026-01-01")
