"""Stage 8: reports of a validation run (terminal text, self-contained HTML, JSON) and human review."""

from synthspec.report.html import render_html
from synthspec.report.review import ReviewSummary, export_review, import_review
from synthspec.report.text import print_report

__all__ = ["ReviewSummary", "export_review", "import_review", "print_report", "render_html"]
