"""Reading spreadsheets of AI use cases: files (``readers``), the layouts recognised by their
headers (``layouts``), column mappings for any other sheet (``mapping``), cell values
(``values``) and the records and stable keys they become (``records``). The writing is
``registry.services.imports.inventory_import``."""
