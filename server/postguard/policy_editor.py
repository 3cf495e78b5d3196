"""Editing `policy.toml` from the comms workspace: the policy as a plain document, saved back
with its comments and layout kept (tomlkit), validated by the policy loader before it replaces
the file, and the earlier versions kept for restoring."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import tomlkit
from tomlkit.items import AoT, InlineTable, Table

from .files import copies_of, keep_copy, write_atomically
from .policy import HARMLESS, Policy, PolicyError, parse_policy
from .workspace import Conflict, NotFound, WorkspaceError

KEEP_POLICY_COPIES = 20
# Arrays of tables are matched entry by entry on this key, so that comments on an entry stay.
_ENTRY_KEYS = {"topics": "id", "terms": "term"}
_COPY_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.toml$")


def policy_document(path: Path) -> dict:
    """The policy file as plain JSON-ready data (dates as `YYYY-MM-DD`)."""
    try:
        document = tomlkit.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError) as exc:
        raise WorkspaceError(f"cannot read the policy: {exc}") from None
    return _jsonable(document.unwrap())


def save_policy(path: Path, document: dict, copies: Path, used_topics: set[str]) -> Policy:
    """Validate `document` as a policy and write it over `path`, keeping the earlier version.

    Comments and layout of the file stay where the document leaves values unchanged. A topic
    that still has examples (`used_topics`) cannot be removed: relabel or delete them first.
    """
    path = Path(path)
    if not isinstance(document, dict):
        raise WorkspaceError("the policy must be an object with company, contact, topics, ...")
    _check_values(document, "the policy")
    original = path.read_text(encoding="utf-8")
    try:
        toml = tomlkit.parse(original)
        _merge(toml, _with_dates(document))
        text = tomlkit.dumps(toml)
    except (TypeError, ValueError, KeyError, tomlkit.exceptions.TOMLKitError) as exc:
        if isinstance(exc, WorkspaceError):
            raise
        raise WorkspaceError(f"the policy cannot be written as TOML ({type(exc).__name__}); check the fields you changed") from None
    policy = parse_policy(text.encode("utf-8"), name="the policy")
    _refuse_orphans(policy, used_topics)
    if text != original:
        keep_copy(path, copies, KEEP_POLICY_COPIES)
        write_atomically(path, text.encode("utf-8"))
    return policy


def policy_versions(path: Path, copies: Path) -> list[dict]:
    """The kept earlier versions of the policy, newest first."""
    return [
        {"name": copy.name, "saved_at": dt.datetime.fromtimestamp(copy.stat().st_mtime, dt.timezone.utc)
         .isoformat(timespec="seconds")}
        for copy in copies_of(Path(path), copies)
    ]


def restore_policy(path: Path, copies: Path, name: str, used_topics: set[str]) -> Policy:
    """Put a kept version back in place (the current one is kept in turn)."""
    path, copy = Path(path), Path(copies) / name
    if not _COPY_NAME.match(name) or copy not in copies_of(path, copies):
        raise NotFound(f"no kept policy version {name!r}")
    raw = copy.read_bytes()
    try:
        policy = parse_policy(raw, name=name)
    except PolicyError as exc:
        raise Conflict(str(exc)) from None
    _refuse_orphans(policy, used_topics)
    keep_copy(path, copies, KEEP_POLICY_COPIES)
    write_atomically(path, raw)
    return policy


def _refuse_orphans(policy: Policy, used_topics: set[str]) -> None:
    orphaned = sorted(used_topics - set(policy.topic_ids) - {HARMLESS})
    if orphaned:
        raise Conflict(
            f"topic {', '.join(repr(t) for t in orphaned)} still has examples; "
            "relabel or delete them before removing the topic"
        )


_TOML_INTEGER = range(-(2**63), 2**63)


def _check_values(value, where: str) -> None:
    """Refuse what TOML cannot hold (null, nameless fields, huge integers), naming the place."""
    if value is None:
        raise WorkspaceError(f"{where} is empty; fill it in or leave it out")
    if isinstance(value, bool) or isinstance(value, (str, float)):
        return
    if isinstance(value, int):
        if value not in _TOML_INTEGER:
            raise WorkspaceError(f"{where} is too large a number")
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            if not isinstance(key, str) or not key.strip():
                raise WorkspaceError(f"every field of {where} needs a name")
            _check_values(inner, f"{where} → {key}")
        return
    if isinstance(value, list):
        for number, inner in enumerate(value, 1):
            _check_values(inner, f"{where} → {number}")
        return
    raise WorkspaceError(f"{where} has a value of an unknown kind")


# ---- merging a plain document into the TOML document ----------------------------------------

def _merge(container, new: dict) -> None:
    """Make `container` (a tomlkit table) hold `new`, touching only what differs."""
    for key in [key for key in container if key not in new]:
        del container[key]
    for key, value in new.items():
        if not isinstance(key, str) or not key:
            raise WorkspaceError("every field of the policy needs a name")
        old = container.get(key)
        if isinstance(value, dict) and isinstance(old, (Table, InlineTable)):
            _merge(old, value)
        elif _is_tables(value) and isinstance(old, AoT) and key in _ENTRY_KEYS:
            _merge_entries(old, value, _ENTRY_KEYS[key])
        elif old is None or _plain(old) != value:
            container[key] = _item(value)


def _merge_entries(entries: AoT, new: list[dict], key: str) -> None:
    """Merge a list of tables into an array of tables, matching entries on `key`."""
    existing = {}
    for table in entries:
        existing.setdefault(table.get(key), table)
    tables = []
    for value in new:
        table = existing.pop(value.get(key), None)
        if table is None:
            table = _item(value, inline=False)
        else:
            _merge(table, value)
        tables.append(table)
    if [id(t) for t in tables] != [id(t) for t in entries]:
        while len(entries):
            del entries[0]
        for table in tables:
            entries.append(table)


def _item(value, inline: bool = True):
    """A new TOML item in the file's style: small tables of texts inline, lists of tables as arrays."""
    if isinstance(value, dict):
        small = all(not isinstance(v, (dict, list)) for v in value.values()) and len(value) <= 4
        if inline and small:
            table = tomlkit.inline_table()
        else:
            table = tomlkit.table()
        for key, inner in value.items():
            table[key] = _item(inner)
        return table
    if _is_tables(value):
        array = tomlkit.aot()
        for entry in value:
            array.append(_item(entry, inline=False))
        return array
    if isinstance(value, list):
        array = tomlkit.array()
        array.extend(value)
        if sum(len(str(v)) for v in value) > 60:
            array.multiline(True)
        return array
    if value is None:
        raise WorkspaceError("empty values cannot be saved; leave the field out instead")
    return tomlkit.item(value)


def _is_tables(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _plain(item):
    return item.unwrap() if hasattr(item, "unwrap") else item


def _jsonable(value):
    if isinstance(value, dict):
        return {key: _jsonable(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_jsonable(inner) for inner in value]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return value


def _with_dates(value, key: str = ""):
    """Turn the `until` fields back into dates; anything else stays as it is."""
    if isinstance(value, dict):
        return {k: _with_dates(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_dates(v, key) for v in value]
    if key == "until" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise WorkspaceError(f"'until' must be a date like 2027-03-31, not {value!r}") from None
    return value
