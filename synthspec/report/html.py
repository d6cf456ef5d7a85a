"""A self-contained HTML validation report: one file, inline CSS and SVG, no scripts, no network.

Open it from an e-mail attachment or an air-gapped machine and it looks the
same.  Record texts and messages are escaped (synthetic text is untrusted).
"""

from __future__ import annotations

from html import escape
from typing import Any

from synthspec.report.quality import quality_html
from synthspec.report.svg import bar_chart
from synthspec.validate.results import Report

CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}
h1{font-size:1.5rem} h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0} td,th{border:1px solid #ddd;padding:.25rem .5rem;font-size:.9rem;vertical-align:top}
.ok{color:#0f7b3f}.triggered{color:#b42318;font-weight:bold}.crashed,.unavailable{color:#b54708}
.error{color:#b42318}.warning{color:#b54708}.info{color:#555} .verdict{font-size:1.1rem;padding:.5rem;border-radius:4px}
.fail{background:#fde8e8}.pass{background:#e7f6ec} code{background:#f4f4f4;padding:0 .2rem}
"""


def _metrics_table(metrics: dict[str, Any]) -> str:
    if not metrics:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(str(k))}</code></td><td>{escape(str(v))}</td></tr>"
        for k, v in metrics.items()
    )
    return f"<table><tr><th>measure</th><th>value</th></tr>{rows}</table>"


def render_html(report: Report, records: list[dict[str, Any]] | None = None, max_findings: int = 200) -> str:
    """The report as one HTML document (records, if given, let findings quote the text)."""
    verdict = (
        "FAILED: a validator with policy fail triggered"
        if report.failed
        else "passed (no fail policy triggered)"
    )
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>synthspec validation: {escape(report.spec_name)}</title><style>{CSS}</style></head><body>",
        f"<h1>Validation report: {escape(report.spec_name)}</h1>",
        f"<p>{report.record_count} records{(' from <code>' + escape(report.data_file) + '</code>') if report.data_file else ''}; "
        f"{len(report.dropped)} dropped, {len(report.flagged)} flagged.</p>",
        f"<p class='verdict {'fail' if report.failed else 'pass'}'>{escape(verdict)}</p>",
        "<h2>Summary</h2><table><tr><th>validator</th><th>package</th><th>policy</th><th>status</th><th>errors</th><th>warnings</th><th>seconds</th></tr>",
    ]
    for run in report.runs:
        warnings = sum(1 for f in run.result.findings if f.severity.value == "warning")
        out.append(
            f"<tr><td><a href='#v-{escape(run.name)}'>{escape(run.name)}</a></td><td>{escape(run.package)} {escape(run.version)}</td>"
            f"<td>{escape(run.policy)}</td><td class='{run.status}'>{escape(run.status)}</td><td>{run.error_count}</td>"
            f"<td>{warnings}</td><td>{run.seconds:.2f}</td></tr>"
        )
    out.append("</table>")
    out.append(quality_html(report.quality))
    if report.plugin_failures:
        out.append("<h2>Plugins that failed to load</h2><ul>")
        out.extend(f"<li class='crashed'>{escape(f.describe())}</li>" for f in report.plugin_failures)
        out.append("</ul>")
    for run in report.runs:
        out.append(
            f"<h2 id='v-{escape(run.name)}'>{escape(run.name)} <small class='{run.status}'>{escape(run.status)}</small></h2>"
        )
        if run.error:
            out.append(f"<p class='crashed'>{escape(run.error)}</p>")
        out.extend(f"<p class='info'>{escape(n)}</p>" for n in run.result.notes[:20])
        out.append(_metrics_table(run.result.metrics))
        for h in run.result.histograms:
            out.append(f"<h3>{escape(h.title)}</h3>{bar_chart(h)}")
        findings = run.result.findings
        if findings:
            out.append(
                "<table><tr><th>severity</th><th>record</th><th>field</th><th>message</th><th>text</th></tr>"
            )
            for f in findings[:max_findings]:
                text = ""
                if records is not None and f.record_index is not None and f.record_index < len(records):
                    rec = records[f.record_index]
                    text = " | ".join(str(v) for k, v in rec.items() if not str(k).startswith("_"))[:200]
                where = "" if f.record_index is None else str(f.record_index)
                out.append(
                    f"<tr><td class='{f.severity.value}'>{f.severity.value}</td><td>{escape(where)}</td>"
                    f"<td>{escape(f.field or '')}</td><td>{escape(f.message)}</td><td>{escape(text)}</td></tr>"
                )
            out.append("</table>")
            if len(findings) > max_findings:
                out.append(f"<p>… and {len(findings) - max_findings} more findings (see --json).</p>")
    out.append("</body></html>")
    return "\n".join(out)
