"""The business report: KPIs, trend charts, top risks with their offers, the feedback summary.

One set of numbers and matplotlib figures, written twice: a self-contained HTML file (charts as
inline SVG, no JavaScript, opens offline) and a PDF through matplotlib's own PDF backend
(matplotlib ships with the pinned stack via mlflow, so the PDF needs no browser and no system
library). Personal fields are masked as for a viewer: a report is a document that travels.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from cip_assets.reports import queries  # noqa: E402
from cip_assets.reports.access import mask_frame  # noqa: E402


@dataclass
class ReportContent:
    generated_at: datetime
    start: date
    end: date
    kpis: list[queries.Kpi]
    monthly: pd.DataFrame
    weekly: pd.DataFrame
    top_risks: pd.DataFrame
    feedback: pd.DataFrame
    notes: list[str]


def collect(db: Path, start: date | None = None, end: date | None = None, days: int = 30) -> ReportContent:
    available = queries.tables(db)
    if "marts.daily_kpis" not in available:
        raise FileNotFoundError(f"{db}: no published marts (run `cip run` first)")
    span = queries.data_range(db)
    if span is None:
        raise ValueError(f"{db}: marts.daily_kpis is empty; nothing to report")
    end = end or span[1]
    start = start or end - timedelta(days=days - 1)
    notes = []
    risks = queries.top_risks(db, available)
    if "ml.offer_recommendations" not in available:
        notes.append(queries.missing_message("ml.offer_recommendations"))
    feedback = queries.feedback_summary(db, available)
    if feedback.empty:
        notes.append(queries.missing_message("nlp.feedback_sentiment"))
    return ReportContent(
        generated_at=datetime.now(), start=start, end=end, kpis=queries.kpis(db, start, end, available),
        monthly=queries.read(db, "SELECT month_start, revenue, orders, active_customers FROM marts.monthly_kpis "
                                 "ORDER BY 1"),
        weekly=queries.read(db, "SELECT week_start, revenue, orders FROM marts.weekly_kpis ORDER BY 1"),
        top_risks=mask_frame(risks, "viewer"), feedback=mask_frame(feedback, "viewer"), notes=notes)


def _figures(c: ReportContent) -> list[tuple[str, plt.Figure]]:
    figs = []
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(pd.to_datetime(c.monthly.month_start), c.monthly.revenue, marker="o")
    ax.set_title("Revenue by month"), ax.grid(alpha=0.3)
    figs.append(("Revenue by month", fig))
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(pd.to_datetime(c.weekly.week_start), c.weekly.orders, color="tab:green")
    ax.set_title("Orders by week"), ax.grid(alpha=0.3)
    figs.append(("Orders by week", fig))
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.bar(pd.to_datetime(c.monthly.month_start), c.monthly.active_customers, width=20, color="tab:purple")
    ax.set_title("Active customers by month"), ax.grid(alpha=0.3)
    figs.append(("Active customers by month", fig))
    for _, f in figs:
        f.autofmt_xdate()
        f.tight_layout()
    return figs


def _fmt_table(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].map(lambda v: "" if pd.isna(v) else (f"{v:.2f}" if abs(v) < 10 else f"{v:,.0f}"))
    return out


def render_html(c: ReportContent, figs: list[tuple[str, plt.Figure]]) -> str:
    def svg(fig) -> str:
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
        return buf.getvalue().split("?>", 1)[-1]

    tiles = "".join(
        f"<div class='tile'><div class='k'>{html.escape(k.name)}</div><div class='v'>{k.shown()}</div>"
        f"<div class='d'>{'' if k.delta is None else f'{k.delta:+.1%} vs previous period'}</div></div>"
        for k in c.kpis)
    risks = (_fmt_table(c.top_risks).to_html(index=False, escape=True, border=0) if not c.top_risks.empty
             else "<p>No scored high-risk customers.</p>")
    feedback = (_fmt_table(c.feedback).to_html(index=False, escape=True, border=0) if not c.feedback.empty
                else "<p>No feedback summary yet.</p>")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in c.notes)
    charts = "".join(f"<figure>{svg(f)}</figure>" for _, f in figs)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>CIP report {c.start} to {c.end}</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}} .tiles{{display:flex;flex-wrap:wrap;gap:1em}}
.tile{{border:1px solid #ddd;border-radius:6px;padding:.8em 1.2em;min-width:11em}} .k{{color:#666;font-size:.9em}}
.v{{font-size:1.6em;font-weight:600}} .d{{color:#666;font-size:.8em}} table{{border-collapse:collapse;font-size:.85em}}
td,th{{border-bottom:1px solid #eee;padding:.3em .6em;text-align:left}} figure{{margin:1em 0}} svg{{max-width:100%;height:auto}}
</style></head><body>
<h1>Customer Intelligence report</h1>
<p>Period {c.start} to {c.end} (compared with the {(c.end - c.start).days + 1} days before); generated
{c.generated_at:%Y-%m-%d %H:%M}. Personal fields are masked.</p>
<h2>KPIs</h2><div class="tiles">{tiles}</div>
<h2>Trends</h2>{charts}
<h2>Top risks and their offers</h2>{risks}
<h2>Feedback summary</h2>{feedback}
{f'<h2>Not yet available</h2><ul>{notes}</ul>' if notes else ''}
</body></html>"""


def render_pdf(c: ReportContent, figs: list[tuple[str, plt.Figure]], path: Path) -> None:
    with PdfPages(path, metadata={"Title": f"CIP report {c.start} to {c.end}"}) as pdf:
        page = plt.figure(figsize=(8.27, 11.69))
        page.text(0.07, 0.95, "Customer Intelligence report", fontsize=18, weight="bold")
        page.text(0.07, 0.925, f"Period {c.start} to {c.end}; generated {c.generated_at:%Y-%m-%d %H:%M}", fontsize=9)
        y = 0.88
        for k in c.kpis:
            delta = "" if k.delta is None else f"{k.delta:+.1%} vs previous period"
            page.text(0.07, y, k.name, fontsize=11)
            page.text(0.45, y, k.shown(), fontsize=11, weight="bold")
            page.text(0.65, y, delta, fontsize=9, color="#555")
            y -= 0.03
        for i, (_, fig) in enumerate(figs[:2]):
            ax_img = page.add_axes([0.05, 0.36 - i * 0.3, 0.9, 0.28])
            ax_img.axis("off")
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=110)
            buf.seek(0)
            ax_img.imshow(plt.imread(buf))
        pdf.savefig(page)
        plt.close(page)
        for title, frame in (("Top risks and their offers", c.top_risks), ("Feedback summary", c.feedback)):
            page = plt.figure(figsize=(11.69, 8.27))
            page.text(0.04, 0.95, title, fontsize=15, weight="bold")
            if frame.empty:
                page.text(0.04, 0.9, "Not available yet. " + " ".join(c.notes), fontsize=9, wrap=True)
            else:
                shown = _fmt_table(frame.head(25)).astype(str).apply(lambda s: s.str.slice(0, 60))
                ax = page.add_axes([0.02, 0.05, 0.96, 0.85])
                ax.axis("off")
                table = ax.table(cellText=shown.values, colLabels=list(shown.columns), loc="upper left",
                                 cellLoc="left")
                table.auto_set_font_size(False)
                table.set_fontsize(6)
                table.auto_set_column_width(list(range(len(shown.columns))))
            pdf.savefig(page)
            plt.close(page)


def build_report(db: Path, out_dir: Path, start: date | None = None, end: date | None = None,
                 formats: tuple[str, ...] = ("html", "pdf")) -> dict[str, Path]:
    """Write `cip_report_<end>.html` / `.pdf` under out_dir; returns the paths written."""
    content = collect(db, start, end)
    figs = _figures(content)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"cip_report_{content.start}_{content.end}"
    written = {}
    try:
        if "html" in formats:
            written["html"] = stem.with_suffix(".html")
            written["html"].write_text(render_html(content, figs))
        if "pdf" in formats:
            written["pdf"] = stem.with_suffix(".pdf")
            render_pdf(content, figs, written["pdf"])
    finally:
        for _, f in figs:
            plt.close(f)
    return written


def report_bytes(db: Path, start: date | None = None, end: date | None = None) -> dict[str, bytes]:
    """The same report in memory, for the dashboard's download buttons."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        paths = build_report(db, Path(tmp), start, end)
        return {fmt: p.read_bytes() for fmt, p in paths.items()}
