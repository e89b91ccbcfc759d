"""Printed documents (reportlab): the client brief, the visit report, the proposal.

Built from the plain data of :mod:`rm_workbench.reports.data` only: no Qt, no
database. The documents service fills the data and writes the files.
"""

from rm_workbench.reports.brief import brief_pdf, briefs_pdf
from rm_workbench.reports.fonts import find_cjk_font, register_cjk_font
from rm_workbench.reports.proposal import proposal_pdf
from rm_workbench.reports.visit_report import visit_report_pdf

__all__ = [
    "brief_pdf",
    "briefs_pdf",
    "find_cjk_font",
    "proposal_pdf",
    "register_cjk_font",
    "visit_report_pdf",
]
