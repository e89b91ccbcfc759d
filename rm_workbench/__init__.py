"""RM Workbench: the offline-first desktop workbench of a bank's relationship managers.

Everything below ``rm_workbench.ui`` works without Qt widgets, from a script or a test.
"""

__version__ = "0.1.0"
