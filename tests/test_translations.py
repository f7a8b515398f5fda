"""The Simplified Chinese catalogue covers every string in the code, is compiled, and is valid gettext.

`python3 groupsite/dev.py messages` gathers the strings and compiles them; these tests fail when someone wraps a
new string and forgets to translate it, edits the .po and forgets to compile it, or breaks a placeholder.
"""

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

from groupsite.dev import GETTEXT_TOOLS, MESSAGE_DOMAINS, MESSAGE_LOCALE, in_ci, makemessages_arguments

# Nothing here touches the database: the test command runs them in one pass only.
pytestmark = pytest.mark.one_pass

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = Path("groupsite") / "locale" / MESSAGE_LOCALE / "LC_MESSAGES"
# Not source: the virtual environment, git's data and what runs leave behind.
NOT_SOURCE = {".venv", ".git", "var", "staticfiles", "test-artifacts", "node_modules", "__pycache__", ".pytest_cache"}


@pytest.fixture(scope="module")
def gettext_tools():
    missing = [tool for tool in GETTEXT_TOOLS if not shutil.which(tool)]
    if missing:
        if in_ci():
            pytest.fail(f"CI=true but gettext's {', '.join(missing)} missing: the translation tests must run in CI")
        pytest.skip(f"TRANSLATION TESTS SKIPPED: gettext's {', '.join(missing)} missing (apt-get install gettext)")


# -- a small .po reader: enough for what makemessages writes ------------------------------------------------------

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), f"not a quoted .po string: {text!r}"
    return re.sub(r"\\(.)", lambda match: ESCAPES[match.group(1)], text[1:-1])


def read_po(path: Path) -> list[dict]:
    """Entries as dicts: msgctxt, msgid, msgid_plural (when present), msgstr {index: text}, flags, locations."""
    entries, entry, field = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():  # a blank line ends an entry
            if entry and "msgid" in entry:  # not an obsolete one: those are all #~ comments
                entries.append(entry)
            entry = None
            continue
        entry = entry or {"msgstr": {}, "flags": set(), "locations": []}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#:"):
            entry["locations"].extend(line[2:].split())
        elif line.startswith("#"):
            continue
        elif match := re.match(r"(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line):
            keyword, index, text = match.groups()
            field = ("msgstr", int(index or 0)) if keyword == "msgstr" else keyword
            _append(entry, field, _unquote(text))
        else:  # a continuation line of the field above
            _append(entry, field, _unquote(line))
    return entries


def _append(entry: dict, field, text: str) -> None:
    if isinstance(field, tuple):
        entry["msgstr"][field[1]] = entry["msgstr"].get(field[1], "") + text
    else:
        entry[field] = entry.get(field, "") + text


def catalogue_key(entry: dict) -> str:
    """How gettext keys an entry: the context, then \\x04, then the msgid."""
    return f"{entry['msgctxt']}\x04{entry['msgid']}" if "msgctxt" in entry else entry["msgid"]


def problems(entries: list[dict]) -> list[str]:
    """Every entry a Chinese reader would see in English: no translation, or one gettext would not use (fuzzy)."""
    found = []
    for entry in entries:
        if entry["msgid"] == "":  # the header
            continue
        where = " ".join(entry["locations"]) or "?"
        if "fuzzy" in entry["flags"]:
            found.append(f"fuzzy: {entry['msgid']!r} ({where})")
        elif not entry["msgstr"] or not all(entry["msgstr"].values()):
            found.append(f"untranslated: {entry['msgid']!r} ({where})")
    return found


def committed_catalogues() -> list[Path]:
    return sorted((ROOT / CATALOGUES).glob("*.po"))


# -- the tests --------------------------------------------------------------------------------------------------


def test_the_reader_sees_an_untranslated_and_a_fuzzy_entry(tmp_path):
    """The checks below rely on this reader; it must notice what they are looking for."""
    po = tmp_path / "sample.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        '#: a.py\nmsgid "Done"\nmsgstr "完成"\n\n'
        '#: b.html\nmsgid "Open"\nmsgstr ""\n\n'
        '#: c.py\n#, fuzzy, python-format\nmsgid "%(n)s left"\nmsgstr "剩 %(n)s"\n\n'
        '#: d.py\n#, python-format\nmsgid "%(n)s post"\nmsgid_plural "%(n)s posts"\nmsgstr[0] ""\n\n'
        'msgctxt "date"\nmsgid ""\n"l j F"\nmsgstr "n月j日"\n',
        encoding="utf-8",
    )
    entries = read_po(po)
    keys = [catalogue_key(entry) for entry in entries]
    assert keys == ["", "Done", "Open", "%(n)s left", "%(n)s post", "date\x04l j F"]
    assert problems(entries) == [
        "untranslated: 'Open' (b.html)",
        "fuzzy: '%(n)s left' (c.py)",
        "untranslated: '%(n)s post' (d.py)",
    ]


def test_the_catalogue_translates_every_string_in_the_code(gettext_tools, tmp_path):
    """makemessages on a copy of the source, as `dev.py messages` runs it: every entry it leaves must be translated."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=lambda folder, names: [n for n in names if n in NOT_SOURCE])
    found = []
    for domain in MESSAGE_DOMAINS:
        result = subprocess.run(
            [sys.executable, "manage.py", *makemessages_arguments(domain)],
            cwd=source, capture_output=True, text=True, env=dict(os.environ, DEBUG="true"),
        )
        assert result.returncode == 0, f"makemessages --domain={domain} failed:\n{result.stdout}\n{result.stderr}"
        po = source / CATALOGUES / f"{domain}.po"
        if po.exists():  # no file when the domain has no string (no translatable JavaScript yet)
            found += [f"{domain}.po {problem}" for problem in problems(read_po(po))]
    if found:
        pytest.fail(
            f"{len(found)} strings in the code have no Chinese translation in {CATALOGUES}: run "
            "`python3 groupsite/dev.py messages`, translate them, and run it again to compile:\n" + "\n".join(found),
            pytrace=False,
        )


def test_every_committed_catalogue_is_valid_gettext(gettext_tools):
    """msgfmt -c: the header is complete and every python-format placeholder in a msgid is in its msgstr too."""
    assert committed_catalogues(), f"no catalogue in {CATALOGUES}"
    for po in committed_catalogues():
        result = subprocess.run(["msgfmt", "-c", "-o", "/dev/null", po], capture_output=True, text=True)
        assert result.returncode == 0, f"msgfmt -c {po.relative_to(ROOT)}:\n{result.stderr}"


def test_every_committed_catalogue_is_compiled():
    """The site reads the .mo: it must hold exactly the translations in the .po beside it."""
    for po in committed_catalogues():
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo.relative_to(ROOT)} is missing: run `python3 groupsite/dev.py messages`"
        with mo.open("rb") as compiled:
            in_mo = {key: text for key, text in gettext.GNUTranslations(compiled)._catalog.items() if key != ""}
        in_po = {}
        for entry in read_po(po):
            if entry["msgid"] == "" or "fuzzy" in entry["flags"] or not all(entry["msgstr"].values()):
                continue  # msgfmt leaves these out
            if "msgid_plural" in entry:
                in_po.update({(catalogue_key(entry), index): text for index, text in entry["msgstr"].items()})
            else:
                in_po[catalogue_key(entry)] = entry["msgstr"][0]
        stale = sorted(str(key) for key in in_po.keys() | in_mo.keys() if in_po.get(key) != in_mo.get(key))
        if stale:
            pytest.fail(
                f"{mo.relative_to(ROOT)} does not match {po.name}: run `python3 groupsite/dev.py messages` "
                "(or manage.py compilemessages). Differs for:\n" + "\n".join(stale),
                pytrace=False,
            )


def test_the_interface_speaks_chinese():
    with translation.override("zh-hans"):
        flag_question = translation.gettext("What is wrong with this post?")
        members = translation.ngettext("%(count)s member", "%(count)s members", 3) % {"count": 3}
    assert _has_chinese(flag_question), flag_question
    assert _has_chinese(members) and "3" in members, members
    with translation.override("en-gb"):
        assert translation.gettext("What is wrong with this post?") == "What is wrong with this post?"


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= character <= "\u9fff" for character in text)
