"""Origin Auditor: where does everything we run come from?"""

__version__ = "0.1.0"
