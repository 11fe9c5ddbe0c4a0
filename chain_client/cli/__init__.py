"""The ``leasechain`` command line: every party's actions and the auditor's checks, over the SDK."""
