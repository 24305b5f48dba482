"""Authored files in content/ <-> the database: parse, validate, sync (load_content) and export.

    files.py   reading files safely (ordinary files only, size limit, UTF-8, YAML without duplicate keys)
    fields.py  one field map per record type: file key, model field, rule, how it is written back
    parse.py   files -> Documents, every problem with its file and line
    sync.py    Documents -> the database, all or nothing, one generic upsert
    export.py  the database -> files that load back to the same records

Loading happens in two phases. Every file is parsed and validated first; only when the whole set is
clean is anything written, in one transaction, so a bad file never leaves a half-loaded database.
"""

from .export import clinic_render_entry, content_export, procedure_render_file
from .files import MAX_FILE_BYTES, ContentError, ContentInvalid
from .parse import Document, clinics_parse, content_parse, procedure_parse, site_parse, state_hash
from .sync import CHANGE_REASON, LoadReport, clinic_state, content_load, procedure_state, site_state

__all__ = [
    "CHANGE_REASON",
    "MAX_FILE_BYTES",
    "ContentError",
    "ContentInvalid",
    "Document",
    "LoadReport",
    "clinic_render_entry",
    "clinic_state",
    "clinics_parse",
    "content_export",
    "content_load",
    "content_parse",
    "procedure_parse",
    "procedure_render_file",
    "procedure_state",
    "site_parse",
    "site_state",
    "state_hash",
]
