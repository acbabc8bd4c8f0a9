"""The transparency report: what was found, what was referred, what was removed, how fast.

``collect`` gathers counts for a period from the store; ``render_html`` writes one
self-contained HTML file (plots as PNG data URIs, no external asset, opens offline);
``render_pdf`` writes the same figures as a PDF with matplotlib's own PDF backend (no
extra dependency, no browser, works offline).

Privacy by construction: ``collect`` returns counts keyed only by week, harm label,
platform name, language code and outcome — it never selects post text, URLs, handles,
phone numbers, account ids or tip contacts, so nothing identifying a victim (or anyone
else) can reach the report. Tests check the rendered file against the identifiers in
their fixture.
"""
from __future__ import annotations

import base64
import io
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from marsad import __version__
from marsad.model import HARMS
from marsad.refer import times, tracking
from marsad.report.trends import week_of
from marsad.store.schema import findings, posts
from marsad.store.tables_review import decisions, referral_items, referrals, tips

OUTCOME_ORDER = ("removed", "restricted", "declined", "no_answer", "pending")
OUTCOME_COLOURS = {"removed": "#2e7d32", "restricted": "#9e9d24", "declined": "#c62828",
                   "no_answer": "#757575", "pending": "#90a4ae"}
TOP_LANGUAGES = 6
DISRUPTED_SHARE = 0.8


def _weeks(since: datetime, until: datetime) -> list:
    out, w = [], week_of(since)
    end = week_of(until - timedelta(microseconds=1))
    while w <= end:
        out.append(w)
        w += timedelta(days=7)
    return out


def collect(conn: Connection, since, until, *, networks: list[dict] | None = None) -> dict:
    """Counts for the report over ``[since, until)``; ``networks`` as the ``networks``
    contract gives them (``marsad networks``), or None when not computed."""
    since, until = times.parse(since, "from"), times.parse(until, "to")
    if since is None or until is None or until <= since:
        from marsad.errors import InputError
        raise InputError("the period needs --from before --to", field="to")
    weeks = _weeks(since, until)
    when = func.coalesce(findings.c.created_at, findings.c.detected_at)
    by_harm: dict[str, Counter] = defaultdict(Counter)
    by_platform: dict[str, Counter] = defaultdict(Counter)
    by_lang: dict[str, Counter] = defaultdict(Counter)
    found = conn.execute(select(when.label("seen_at"), findings.c.label, findings.c.platform, findings.c.lang)
                         .where(findings.c.label.in_(HARMS), when >= since, when < until))
    for r in found:
        w = week_of(r.seen_at)
        by_harm[r.label][w] += 1
        by_platform[r.platform][w] += 1
        by_lang[r.lang or "unknown"][w] += 1
    langs = sorted(by_lang, key=lambda k: -sum(by_lang[k].values()))
    if len(langs) > TOP_LANGUAGES:
        other = Counter()
        for k in langs[TOP_LANGUAGES:]:
            other.update(by_lang.pop(k))
        by_lang["other"] = other

    def series(table):
        return {k: [table[k].get(w, 0) for w in weeks] for k in sorted(table, key=lambda k: -sum(table[k].values()))}

    reviewed = Counter(dict(conn.execute(
        select(decisions.c.decision, func.count()).where(decisions.c.created_at >= since,
                                                         decisions.c.created_at < until)
        .group_by(decisions.c.decision)).all()))
    tip_count = conn.execute(select(func.count()).select_from(tips).where(
        tips.c.received_at >= since, tips.c.received_at < until)).scalar_one()
    refer = tracking.stats(conn, since=since, until=until)
    return {"from": since.date().isoformat(), "to": until.date().isoformat(),
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "weeks": [w.isoformat() for w in weeks],
            "found": {"total": sum(sum(c.values()) for c in by_harm.values()),
                      "by_harm": series(by_harm), "by_platform": series(by_platform), "by_language": series(by_lang)},
            "reviewed": {"confirmed": reviewed.get("harm", 0), "benign": reviewed.get("benign", 0),
                         "escalated": reviewed.get("escalate", 0)},
            "tips": tip_count,
            "referrals": {"total": _strip(refer["total"]),
                          "by_platform": [_strip(r) for r in refer["by_platform"]],
                          "by_category": [_strip(r) for r in refer["by_category"]],
                          "removal_hours": {r["platform"]: r["removal_hours"] for r in refer["by_platform"]},
                          "no_answer_after_days": refer["no_answer_after_days"]},
            "networks": network_counts(conn, networks, since, until)}


def _strip(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "removal_hours"}


def network_counts(conn: Connection, networks: list[dict] | None, since, until) -> dict | None:
    """How many networks had content referred in the period, and how many were disrupted:
    at least ``DISRUPTED_SHARE`` of their referred items removed or seen offline."""
    if networks is None:
        return None
    owner: dict[tuple[str, str], int] = {}
    for i, net in enumerate(networks):
        for plat in net.get("platforms") or []:
            for acc in net.get("accounts") or []:
                owner[(plat, acc)] = i
    referred, gone = Counter(), Counter()
    rows = conn.execute(
        select(posts.c.platform, posts.c.author_id, referral_items.c.outcome, referral_items.c.offline_at)
        .join(referral_items, and_(referral_items.c.post_platform == posts.c.platform,
                                   referral_items.c.post_id == posts.c.id))
        .join(referrals, referrals.c.id == referral_items.c.referral_id)
        .where(referrals.c.status == "sent", referrals.c.sent_at < until))
    for r in rows:
        i = owner.get((r.platform, r.author_id))
        if i is None:
            continue
        referred[i] += 1
        gone[i] += r.outcome in ("removed", "restricted") or r.offline_at is not None
    disrupted = sum(1 for i, n in referred.items() if gone[i] / n >= DISRUPTED_SHARE)
    return {"found": len(networks), "with_referrals": len(referred), "disrupted": disrupted,
            "disrupted_share": DISRUPTED_SHARE}


# ---- plots -------------------------------------------------------------------------------
def _figure():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=110)
    return plt, fig, ax


def _empty(ax, title: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, "no data in this period", ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_xticks([])
    ax.set_yticks([])


def _lines(data: dict, title: str, ylabel: str):
    plt, fig, ax = _figure()
    weeks, table = data["weeks"], data["table"]
    if not any(sum(v) for v in table.values()):
        _empty(ax, title)
    else:
        for k, values in table.items():
            ax.plot(range(len(weeks)), values, marker="o", markersize=3, label=str(k).replace("_", " "))
        step = max(1, len(weeks) // 8)
        ax.set_xticks(range(0, len(weeks), step), [weeks[i] for i in range(0, len(weeks), step)],
                      rotation=30, ha="right", fontsize=8)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def _outcomes(rows: list[dict]):
    plt, fig, ax = _figure()
    title = "Referred items by platform and outcome"
    rows = [r for r in rows if r["sent"]]
    if not rows:
        _empty(ax, title)
    else:
        names = [r["platform"] for r in rows]
        left = [0] * len(rows)
        for outcome in OUTCOME_ORDER:
            values = [r[outcome] for r in rows]
            ax.barh(names, values, left=left, color=OUTCOME_COLOURS[outcome], label=outcome.replace("_", " "))
            left = [a + b for a, b in zip(left, values)]
        ax.set_title(title)
        ax.set_xlabel("items sent")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8, ncol=5, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22))
        ax.invert_yaxis()
    fig.tight_layout()
    return fig


def _removal_times(hours: dict[str, list[float]]):
    plt, fig, ax = _figure()
    title = "Hours from referral to removal"
    hours = {k: v for k, v in hours.items() if v}
    if not hours:
        _empty(ax, title)
    else:
        try:
            ax.boxplot(list(hours.values()), orientation="horizontal", widths=0.5)
        except TypeError:   # matplotlib < 3.10
            ax.boxplot(list(hours.values()), vert=False, widths=0.5)
        ax.set_yticks(range(1, len(hours) + 1), list(hours))
        ax.set_title(title)
        ax.set_xlabel("hours (median line in each box)")
        ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig


def _networks(counts: dict | None):
    plt, fig, ax = _figure()
    title = "Networks: found, referred, disrupted"
    if not counts or not counts["found"]:
        _empty(ax, title)
    else:
        labels = ["found", "with referred content", f"disrupted (≥{int(counts['disrupted_share'] * 100)}% removed)"]
        values = [counts["found"], counts["with_referrals"], counts["disrupted"]]
        ax.bar(labels, values, color=["#546e7a", "#1565c0", "#2e7d32"])
        for i, v in enumerate(values):
            ax.text(i, v, str(v), ha="center", va="bottom")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_title(title)
    fig.tight_layout()
    return fig


def figures(data: dict) -> list[tuple[str, str, object]]:
    """(id, caption, matplotlib figure) for each plot, in report order."""
    f = data["found"]
    return [
        ("found_by_harm", "Items found per week, by harm",
         _lines({"weeks": data["weeks"], "table": f["by_harm"]}, "Items found per harm", "items")),
        ("found_by_platform", "Items found per week, by platform",
         _lines({"weeks": data["weeks"], "table": f["by_platform"]}, "Items found per platform", "items")),
        ("found_by_language", "Items found per week, by language",
         _lines({"weeks": data["weeks"], "table": f["by_language"]}, "Items found per language", "items")),
        ("referral_outcomes", "Referrals and outcomes", _outcomes(data["referrals"]["by_platform"])),
        ("removal_times", "Time to removal", _removal_times(data["referrals"]["removal_hours"])),
        ("networks", "Networks disrupted", _networks(data["networks"])),
    ]


def _png(fig) -> str:
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>marsad transparency report {{ d.from }} to {{ d.to }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.6rem} h2{margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0} td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left} figure{margin:1rem 0} img{max-width:100%}
.note{color:#555;font-size:.9rem}
</style></head><body>
<h1>Transparency report</h1>
<p>Period: <strong>{{ d.from }}</strong> to <strong>{{ d.to }}</strong> (end exclusive).
Generated {{ d.generated_at }} by marsad {{ version }}.</p>
<p class="note">Counts only. This report contains no post text, links, account names,
phone numbers or other identifiers of any person, victims included.</p>

<h2>Summary</h2>
<table>
<tr><th>Items found (harmful)</th><td>{{ d.found.total }}</td></tr>
<tr><th>Confirmed by reviewers</th><td>{{ d.reviewed.confirmed }}</td></tr>
<tr><th>Judged benign by reviewers</th><td>{{ d.reviewed.benign }}</td></tr>
<tr><th>Escalated</th><td>{{ d.reviewed.escalated }}</td></tr>
<tr><th>Public tips received</th><td>{{ d.tips }}</td></tr>
<tr><th>Items referred to platforms</th><td>{{ d.referrals.total.sent }}</td></tr>
<tr><th>Removed</th><td>{{ d.referrals.total.removed }}</td></tr>
<tr><th>Removal rate</th><td>{{ pct(d.referrals.total.removal_rate) }}</td></tr>
<tr><th>Median hours to removal</th><td>{{ num(d.referrals.total.median_hours_to_removal) }}</td></tr>
{% if d.networks %}<tr><th>Networks disrupted</th><td>{{ d.networks.disrupted }} of {{ d.networks.with_referrals }} referred ({{ d.networks.found }} found)</td></tr>{% endif %}
</table>

<h2>Items found</h2>
<table><tr><th>Harm</th><th>Items</th></tr>
{% for k, v in d.found.by_harm.items() %}<tr><td>{{ k|replace("_", " ") }}</td><td>{{ v|sum }}</td></tr>{% endfor %}
</table>
{% for id, caption, src in figs[:3] %}<figure id="{{ id }}"><img alt="{{ caption }}" src="{{ src }}"><figcaption>{{ caption }}</figcaption></figure>{% endfor %}

<h2>Referrals and outcomes</h2>
<p class="note">An item counts as <em>no answer</em> when the platform has not answered
{{ d.referrals.no_answer_after_days|int }} days after it was sent; <em>removed</em>
includes content the link checker found gone when the platform had not answered.</p>
<table><tr><th>Platform</th><th>Sent</th><th>Removed</th><th>Restricted</th><th>Declined</th><th>No answer</th><th>Pending</th><th>Removal rate</th><th>Median hours</th></tr>
{% for r in d.referrals.by_platform %}<tr><td>{{ r.platform }}</td><td>{{ r.sent }}</td><td>{{ r.removed }}</td><td>{{ r.restricted }}</td><td>{{ r.declined }}</td><td>{{ r.no_answer }}</td><td>{{ r.pending }}</td><td>{{ pct(r.removal_rate) }}</td><td>{{ num(r.median_hours_to_removal) }}</td></tr>
{% endfor %}</table>
<table><tr><th>Harm</th><th>Sent</th><th>Removed</th><th>Removal rate</th><th>Median hours</th></tr>
{% for r in d.referrals.by_category %}<tr><td>{{ r.category|replace("_", " ") }}</td><td>{{ r.sent }}</td><td>{{ r.removed }}</td><td>{{ pct(r.removal_rate) }}</td><td>{{ num(r.median_hours_to_removal) }}</td></tr>
{% endfor %}</table>
{% for id, caption, src in figs[3:5] %}<figure id="{{ id }}"><img alt="{{ caption }}" src="{{ src }}"><figcaption>{{ caption }}</figcaption></figure>{% endfor %}

<h2>Networks</h2>
{% if d.networks %}<p>{{ d.networks.found }} networks found; content of {{ d.networks.with_referrals }} was referred;
{{ d.networks.disrupted }} disrupted (at least {{ (d.networks.disrupted_share * 100)|int }}% of their referred items removed or gone).</p>
{% else %}<p class="note">Networks were not computed for this report.</p>{% endif %}
{% for id, caption, src in figs[5:] %}<figure id="{{ id }}"><img alt="{{ caption }}" src="{{ src }}"><figcaption>{{ caption }}</figcaption></figure>{% endfor %}
</body></html>
"""


def _pct(x) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def _num(x) -> str:
    return "–" if x is None else f"{x:g}"


def render_html(data: dict) -> str:
    from jinja2 import Environment
    env = Environment(autoescape=True)
    figs = [(fid, caption, _png(fig)) for fid, caption, fig in figures(data)]
    return env.from_string(TEMPLATE).render(d=data, figs=figs, version=__version__, pct=_pct, num=_num)


def render_pdf(data: dict, path: str | Path) -> Path:
    """The same figures, after a summary page, as a PDF (matplotlib's PDF backend)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages
    path = Path(path)
    t, r = data["referrals"]["total"], data["reviewed"]
    lines = [f"Transparency report {data['from']} to {data['to']} (end exclusive)",
             f"Generated {data['generated_at']} by marsad {__version__}", "",
             f"Items found (harmful): {data['found']['total']}",
             f"Reviewed: {r['confirmed']} confirmed, {r['benign']} benign, {r['escalated']} escalated",
             f"Public tips received: {data['tips']}",
             f"Items referred: {t['sent']}; removed {t['removed']} ({_pct(t['removal_rate'])}); "
             f"median hours to removal {_num(t['median_hours_to_removal'])}"]
    if data["networks"]:
        n = data["networks"]
        lines.append(f"Networks: {n['found']} found, {n['with_referrals']} referred, {n['disrupted']} disrupted")
    lines += ["", "Counts only: no post text, links, account names or identifiers of any person."]
    with PdfPages(path, metadata={"Title": f"marsad transparency report {data['from']} to {data['to']}",
                                  "Creator": f"marsad {__version__}"}) as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))
        for i, line in enumerate(lines):
            fig.text(0.08, 0.92 - i * 0.03, line, fontsize=11 if i else 15)
        pdf.savefig(fig)
        plt.close(fig)
        for _, _, f in figures(data):
            pdf.savefig(f)
            plt.close(f)
    return path


def write(conn: Connection, since, until, out: str | Path, *, pdf: str | Path | None = None,
          networks: list[dict] | None = None) -> dict:
    """Collect and write the HTML (and the PDF when asked); returns the collected counts."""
    data = collect(conn, since, until, networks=networks)
    Path(out).write_text(render_html(data), encoding="utf-8")
    if pdf:
        render_pdf(data, pdf)
    return data
