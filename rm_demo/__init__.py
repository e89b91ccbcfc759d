"""The demo: a generated Chinese book of customers, and the programs set up to show it.

It imports both programs (they never import it, nor each other):

* :mod:`rm_demo.book`: the deterministic demo book (branches, RMs, products, bundle
  templates, customers with households and activity, deliberate data-quality defects).
* :mod:`rm_demo.central`: the book loaded into the central CRM, the service's demo
  endpoint, and the embedded service of the demo launch.
* :mod:`rm_demo.cache`: one RM's share of the book straight into a workbench cache
  (tests, screenshots, benchmarks).
* :mod:`rm_demo.cli`: ``rm-workbench-demo`` and ``central-crm-demo``.
"""
