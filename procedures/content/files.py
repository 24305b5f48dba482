"""Reading content files safely: only regular files, within a size limit, as UTF-8 text, YAML without
duplicate keys. Anything else becomes a ContentError naming the file and, where there is one, the line."""

import os
import stat
from pathlib import Path

import yaml

from ..validation import control_character_problem

MAX_FILE_BYTES = 200 * 1024  # the largest real file is about 12 KB


class ContentError(Exception):
    """One problem in one file, with the line it is on (1-based) where there is one."""

    def __init__(self, path, line, message):
        self.path, self.line, self.message = Path(path), line, message
        super().__init__(str(self))

    def __str__(self):
        where = f"{self.path}, line {self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.message}"


class ContentInvalid(Exception):
    """The content set has errors; nothing was written."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


def file_problem(path):
    """Why path cannot be read as a content file (symlink, not a regular file, too big), or None.

    Uses lstat, so a symlink (even one to /dev/zero) is refused without being followed."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "The file is missing."
    except OSError as error:
        return f"The file cannot be read ({error.strerror})."
    if stat.S_ISLNK(info.st_mode):
        return "This is a symbolic link; content files must be ordinary files, so copy the file here instead."
    if stat.S_ISDIR(info.st_mode):
        return "This is a folder, not a file; rename it so that it does not look like a content file."
    if not stat.S_ISREG(info.st_mode):
        return "This is not an ordinary file (a pipe, socket or device); content files must be ordinary files."
    if info.st_size > MAX_FILE_BYTES:
        return f"The file is {info.st_size:,} bytes; the limit is {MAX_FILE_BYTES:,}. Is it the right file?"
    return None


def text_read(path):
    """The text of a content file, or raise ContentError. A UTF-8 byte order mark is dropped; CRLF becomes LF."""
    path = Path(path)
    problem = file_problem(path)
    if problem:
        raise ContentError(path, None, problem)
    try:
        # O_NOFOLLOW and O_NONBLOCK: a file swapped for a symlink or a pipe since lstat cannot hang or mislead us.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ContentError(path, None, "This is not an ordinary file; content files must be ordinary files.")
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ContentError(path, None, f"The file cannot be read ({error.strerror}).") from None
    if len(data) > MAX_FILE_BYTES:
        raise ContentError(path, None, f"The file is over {MAX_FILE_BYTES:,} bytes, the limit.")
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ContentError(
            path,
            line,
            f"The file is not UTF-8 text: byte 0x{data[error.start]:02x} cannot be read. "
            "Is it a binary file, or saved in another encoding (Latin-1, Windows-1252)? Save it as UTF-8.",
        ) from None
    text = text.replace("\r\n", "\n")
    problem = control_character_problem(text)
    if problem:
        line, message = problem
        raise ContentError(path, line, f"This line {message}")
    return text


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing a key given twice in one mapping (PyYAML silently keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node)
            if key in seen:
                raise yaml.MarkedYAMLError(
                    problem=f"the key `{key}` appears twice (first on line {seen[key] + 1 + self.line_offset})",
                    problem_mark=key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as error:  # an impossible date such as 2026-02-30
            raise yaml.MarkedYAMLError(
                problem=f"{node.value} is not a real date ({error})", problem_mark=node.start_mark
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def yaml_load(text, path, offset=0):
    """(node, data) of a YAML text, or raise ContentError naming the file and line. offset: lines before text."""
    loader = _Loader(text)
    loader.line_offset = offset
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 + offset if mark else None
        problem = getattr(error, "problem", None) or str(error)
        raise ContentError(path, line, f"This is not valid YAML: {problem}.") from None
    except RecursionError:
        raise ContentError(path, None, "The YAML is nested too deeply.") from None
    finally:
        loader.dispose()
    return node, data


def key_lines(node, offset):
    """Line numbers (1-based, in the whole file) of the keys of a YAML mapping node."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {key.value: key.start_mark.line + 1 + offset for key, _value in node.value if hasattr(key, "value")}


def value_node(node, key):
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if getattr(key_node, "value", None) == key:
                return value
    return None
