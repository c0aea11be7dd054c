"""Report: the report configuration, the crash-safe reports tree, the runner and a notebook's session."""
