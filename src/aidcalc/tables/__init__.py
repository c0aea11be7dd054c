"""Tables: reading the CSV data package, its rules, and the data context that validates and caches it."""
