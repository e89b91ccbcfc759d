"""Reference central CRM service of the RM workbench.

It owns the bank's customer data (profiles, holdings, tiers) and implements the sync
API the workbench speaks. For a demo or a benchmark it serves a generated book
(:mod:`rm_demo.book`); a bank runs it in front of its own systems instead.
"""
