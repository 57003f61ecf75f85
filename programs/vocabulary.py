"""How people's words meet the catalog's stored words: folding, tag keys, labels, search terms.

One home for the text rules that both databases follow. PostgreSQL runs the same
rules as SQL functions created by migration 0006 (`cme_key`, `cme_tag_keys`,
`cme_tag_text`); SQLite runs these Python functions, registered on every
connection (programs.apps). tests/programs/test_search_backends.py holds both to
the same results.

- A *key* is what two spellings of one tag or city share: lower case, accents
  removed, runs of spaces, underscores and hyphens made one space. "Pain
  management", "pain_management" and "PAIN-MANAGEMENT" share the key
  "pain management"; "Québec" and "quebec" share "quebec".
- A tag's *label* is what a person reads: the mandated-topic label when the tag is
  one of those codes, else the tag with underscores as spaces, capitalised.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable

from .choices import MandatedTopic

# PostgreSQL's English stop words (tsearch_data/english.stop), which its full-text
# search drops; the SQLite fallback drops the same so both find the same programs.
_STOP_WORDS_TEXT = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
    herself it its itself they them their theirs themselves what which who whom this that these those am is are
    was were be been being have has had having do does did doing a an the and but if or because as until while
    of at by for with about against between into through during before after above below to from up down in out
    on off over under again further then once here there when where why how all any both each few more most
    other some such no nor not only own same so than too very s t can will just don should now
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

MAX_SEARCH_TERMS = 12
MAX_TERM_LENGTH = 40
# Shorter words match only whole words: "b" finds "hepatitis B", not every word starting with b.
MIN_PREFIX_LENGTH = 3

# Letters that Unicode decomposition leaves alone but PostgreSQL's unaccent folds.
_SPECIAL_FOLDS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "ı": "i", "þ": "th"})
_SEPARATORS = re.compile(r"[\s_-]+")
_WORDS = re.compile(r"[^\W_]+")

# Frozen into migration 0006's `cme_tag_text`; a test compares the two.
TAG_LABELS: dict[str, str] = {member.value: member.label for member in MandatedTopic}


def fold(text: str) -> str:
    """Lower case without accents ("Québec" -> "quebec"), as PostgreSQL's lower(unaccent(...))."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).translate(_SPECIAL_FOLDS)


def key(text: str) -> str:
    """The matching key of a tag or a city (see the module docstring)."""
    return _SEPARATORS.sub(" ", fold(text)).strip()


def tag_label(tag: str) -> str:
    """What a person reads for a stored tag."""
    if tag in TAG_LABELS:
        return TAG_LABELS[tag]
    text = tag.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def tag_key_for(value: str) -> str:
    """The key a typed or chosen topic/specialty is matched by: a label counts as its code."""
    typed = key(value)
    for code, label in TAG_LABELS.items():
        if typed == key(label):
            return key(code)
    return typed


def tag_options(tags: Iterable[str]) -> list[str]:
    """The labels to offer for stored tags, one per key, in label order."""
    labels: dict[str, str] = {}
    for tag in tags:
        labels.setdefault(key(tag), tag_label(tag))
    return sorted(labels.values(), key=lambda label: (key(label), label))


def search_terms(query: str) -> list[str]:
    """The words of a keyword query worth searching for: folded, no stop words, no duplicates, capped.

    Only letters and digits survive, so no operator of any query language can reach the database.
    """
    terms: list[str] = []
    for word in _WORDS.findall(fold(query)):
        word = word[:MAX_TERM_LENGTH]
        if word not in STOP_WORDS and word not in terms:
            terms.append(word)
    return terms[:MAX_SEARCH_TERMS]


def is_prefix_term(term: str) -> bool:
    """Whether a search word also matches longer words it starts ("cardio" -> "cardiology")."""
    return len(term) >= MIN_PREFIX_LENGTH


def words(text: str | None) -> str:
    """The folded words of a text, each between spaces (SQLite search: LIKE '% term%' or '% term %')."""
    return "".join(f" {word} " for word in _WORDS.findall(fold(text or "")))


def tag_words(tags_json: str | None) -> str:
    """`words` of a JSON tag list, each tag with its label."""
    try:
        tags = json.loads(tags_json or "[]")
    except ValueError:
        return ""
    if not isinstance(tags, list):
        return ""
    return "".join(words(tag) + words(tag_label(tag)) for tag in tags if isinstance(tag, str))
