"""Evidence: the aid rows, plans, readings, aggregations with ranges, the audit and the corroboration."""
