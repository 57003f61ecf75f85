"""The exchange format (docs/import-format.md): its records, import jobs, export and bulk inserts."""
