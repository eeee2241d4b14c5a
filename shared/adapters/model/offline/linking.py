"""Schema linking: find the columns (and the table) a request names, whatever the schema.

A request is split into word tokens (``School_ID`` → school, id; ``HireDate`` → hire, date) and
each column into its name words the same way. A column is *mentioned* where a run of request
tokens equals its words — compared by singular form, known abbreviations (``dept`` ↔ department,
``LName`` ↔ last name), and fuzzy similarity for long words (rapidfuzz). Ordinary request words
("show", "axis", "colored", "compute" ...) never make a mention on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from rapidfuzz import fuzz

from shared.adapters.model.offline.catalog_match import Col, TableSchema
from shared.adapters.model.offline.intent import singular

FUZZY_MIN = 88.0  # rapidfuzz ratio for two long words to count as the same word
ABBREVIATIONS = {
    "num": "number", "no": "number", "nbr": "number", "qty": "quantity", "amt": "amount",
    "dept": "department", "pct": "percent", "percentage": "percent", "avg": "average", "dob": "birth",
    "addr": "address", "desc": "description", "cnt": "count", "yr": "year", "mgr": "manager",
    "emp": "employee", "org": "organization", "info": "information", "tel": "phone", "dt": "date",
    "fname": "first name", "lname": "last name", "sex": "gender", "cust": "customer",
}  # fmt: skip
# words of a request that say how to draw or ask, never which column (unless a column is named so exactly)
_FUNCTION_TEXT = """a an the of for in on at to and or with from by per me my our us show shows showing give gives
    build create make i want need would like please can you could chart charts graph plot plots
    visualize visualise visualization display draw return find list what which who whose whom is are
    was were be been how much many each every all over across into as vs versus this that these those it its
    axis x y bar bars line lines pie scatter histogram stacked stack group grouped grouping groups
    colored coloured color colour split compute computed count counts number total sum average mean
    sort sorted order ordered rank ranked ascending descending asc desc high low higher lower
    distribution proportion relationship correlation comparison compare trend change changes about
    bin binning binned attribute attributes them they their there here do does did have has had
    than then also only just some any other different value values versus there where when
    record records corresponding respective respectively along together based"""
FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())


@dataclass(frozen=True)
class Token:
    word: str  # lower-case
    start: int  # character offsets in the request
    end: int


@dataclass(frozen=True)
class Mention:
    column: Col
    first: int  # token index of the first word
    last: int  # token index after the last word
    score: float  # 1.0 = every word exact


def split_words(name: str) -> list[str]:
    """``HIRE_DATE`` → hire, date; ``LName`` → l, name; ``acc_percent2`` → acc, percent, 2."""
    return list(_split_words(name))


@lru_cache(maxsize=16384)  # names and request words recur: the same columns are matched every turn
def _split_words(name: str) -> tuple[str, ...]:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)", " ", name)
    return tuple(w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w)


def tokens(text: str) -> list[Token]:
    """Word tokens of a request, with snake_case and camelCase names split into their words."""
    out: list[Token] = []
    for m in re.finditer(r"[A-Za-z0-9][A-Za-z0-9_']*", text):
        raw = m.group(0).replace("'s", "").strip("'_")
        for w in split_words(raw):
            out.append(Token(w, m.start(), m.end()))
    return out


@lru_cache(maxsize=4096)
def _norm(word: str) -> str:
    w = ABBREVIATIONS.get(word, word)
    return singular(w) if " " not in w else w


@lru_cache(maxsize=65536)  # a pure function of two words, asked for every column at every token
def same_word(request_word: str, column_word: str) -> float:
    """1.0 for the same word, a little less for a fuzzy or one-letter-initial match, else 0."""
    a, b = _norm(request_word), _norm(column_word)
    if a == b:
        return 1.0
    if len(a) >= 5 and len(b) >= 5 and fuzz.ratio(a, b) >= FUZZY_MIN:
        return 0.9
    if a.isdigit() or b.isdigit():
        return 0.0
    if len(b) >= 4 and len(a) >= 3 and b.startswith(a):
        return 0.75  # "dept" ↔ "department", "info" ↔ "information"
    return 0.0


def column_words(col: Col) -> list[str]:
    return list(_column_words(col.name))


@lru_cache(maxsize=16384)
def _column_words(name: str) -> tuple[str, ...]:
    return tuple(part for w in _split_words(name) for part in ABBREVIATIONS.get(w, w).split())


def _match_at(toks: list[Token], i: int, words: list[str]) -> tuple[int, float] | None:
    """Match the column words at token ``i``: (tokens used, mean word score) or None."""
    if (
        len(words) > 1
        and i < len(toks)
        and len(toks[i].word) >= 6
        and _norm(toks[i].word) == _norm("".join(words))
    ):
        return 1, 0.95  # the words written as one ("pettype" for PetType)
    j, total = i, 0.0
    for k, w in enumerate(words):
        if j >= len(toks):
            return None
        s = same_word(toks[j].word, w)
        if s == 0 and len(w) == 1 and toks[j].word.startswith(w) and k + 1 < len(words):
            s = 0.8  # an initial: "LName" ↔ "last name"
        if s == 0:
            return None
        total, j = total + s, j + 1
    return j - i, total / len(words)


def mentions(text: str, table: TableSchema) -> list[Mention]:
    """Every column of ``table`` the request names, left to right, longest match first, no overlaps."""
    toks = tokens(text)
    found: list[Mention] = []
    cols = [(c, column_words(c), split_words(c.name)) for c in table.columns]
    for i in range(len(toks)):
        for c, words, raw in cols:
            for variant in (words, raw):
                hit = _match_at(toks, i, variant)
                if hit is None:
                    continue
                n, score = hit
                if all(toks[k].word in FUNCTION_WORDS for k in range(i, i + n)) and not _literal(
                    text, toks[i], c
                ):
                    continue
                found.append(Mention(c, i, i + n, score + 0.01 * n))
                break
        # a lone head word ("date" for booking_date) is a weaker, partial mention
    entity = {i for a, b in table_mentions(text, table) for i in range(a, b)}
    partial = [m for m in _partial_mentions(toks, cols, text) if not set(range(m.first, m.last)) <= entity]
    partial += _described(toks, table, {i for m in found for i in range(m.first, m.last)} | entity)
    chosen: list[Mention] = []
    for m in sorted(
        found + partial + _age_words(toks, table) + _own_id(toks, table),
        key=lambda m: (-(m.last - m.first) - m.score, m.first),
    ):
        if all(m.last <= o.first or m.first >= o.last for o in chosen):
            chosen.append(m)
    return sorted(chosen, key=lambda m: m.first)


def _own_id(toks: list[Token], table: TableSchema) -> list[Mention]:
    """ "the id(s)" of a table's rows names its own key column (``PetID`` in table ``Pets``): the one
    column whose words are the rows' noun and "id"."""
    rows = [singular(w) for w in split_words(table.short)]
    own = [c for c in table.columns if [singular(w) for w in split_words(c.name)] == [*rows[-1:], "id"]]
    if len(own) != 1:
        return []
    return [
        Mention(own[0], i, i + 1, 0.5)
        for i, t in enumerate(toks)
        if t.word in ("id", "ids") and (i == 0 or toks[i - 1].start != t.start)  # not the "id" of "job_id"
    ]


AGE_WORDS = {"youngest": "min", "oldest": "max", "old": "none"}  # the aggregate each word asks of an age


def _age_words(toks: list[Token], table: TableSchema) -> list[Mention]:
    """ "How old", "the youngest", "the oldest" name the table's one age column."""
    ages = [c for c in table.columns if c.numeric and "age" in split_words(c.name)]
    if len(ages) != 1:
        return []
    before = [" ".join(t.word for t in toks[max(0, i - 2) : i]) for i in range(len(toks))]
    return [
        Mention(ages[0], i, i + 1, 0.5)
        for i, t in enumerate(toks)
        if (t.word in ("youngest", "oldest") and not re.search(r"\b(?:from|to)(?: the)?$", before[i]))
        or (t.word == "old" and before[i].endswith("how"))
    ]  # "from the oldest to the youngest" is a sort order


_DESCRIPTION_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "from",
        "with",
        "that",
        "this",
        "its",
        "their",
        "our",
        "are",
        "was",
        "were",
        "has",
        "have",
    ]
)


def _content(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return [_norm(w) for w in words if w not in _DESCRIPTION_STOP and len(w) >= 3]


def _described(toks: list[Token], table: TableSchema, taken: set[int]) -> list[Mention]:
    """Columns named by their description: two request words in a row that the description holds in
    a row ("order total" → ``amt``, "the order total in USD"), or, for a column whose name is only
    short codes ("ctry"), the description's first word ("country")."""
    out: list[Mention] = []
    words = [_norm(t.word) for t in toks]
    for c in table.columns:
        desc = _content(c.description or "")
        if not desc:
            continue
        pairs = set(pairwise(desc))
        opaque = all(len(w) <= 4 for w in split_words(c.name))
        for i in range(len(toks)):
            if i in taken or toks[i].word in FUNCTION_WORDS:
                continue
            if i + 1 < len(toks) and i + 1 not in taken and (words[i], words[i + 1]) in pairs:
                out.append(Mention(c, i, i + 2, 0.5))
            elif opaque and words[i] == desc[0] and len(words[i]) >= 4:
                out.append(Mention(c, i, i + 1, 0.5))
    return out


def _literal(text: str, tok: Token, col: Col) -> bool:
    """The request spells the column name itself here ("Total", "Year" as a column)."""
    return text[tok.start : tok.end].lower().strip("'_") == col.name.lower()


def _partial_mentions(
    toks: list[Token], cols: list[tuple[Col, list[str], list[str]]], text: str
) -> list[Mention]:
    """Runs of request words that are the last words of exactly one column ("start date" → booking_start_date)."""
    out: list[Mention] = []
    for i, t in enumerate(toks):
        if t.word in FUNCTION_WORDS or len(t.word) < 3:
            continue
        hits = []
        for c, words, _raw in cols:
            if len(words) < 2:
                continue
            best: tuple[int, float] | None = None
            for a in range(len(words)):
                for b in range(len(words), a, -1):
                    if (a, b) == (0, len(words)) or max(len(w) for w in words[a:b]) < 3:
                        continue
                    hit = _match_at(toks, i, words[a:b])
                    if hit is not None and (best is None or hit[0] > best[0]):
                        best = hit
            if best is not None:
                hits.append((c, best))
        if len(hits) == 1:
            c, (n, score) = hits[0]
            out.append(Mention(c, i, i + n, 0.6 * score))
    return out


def table_mentions(text: str, table: TableSchema) -> list[tuple[int, int]]:
    """Token spans naming the table's rows ("employees", "the products")."""
    toks = tokens(text)
    words = split_words(table.short)
    spans = []
    for i in range(len(toks)):
        hit = _match_at(toks, i, words)
        for part in words if hit is None and len(words) > 1 else []:
            if len(part) >= 4 and part not in FUNCTION_WORDS:
                hit = hit or _match_at(toks, i, [part])
        if hit is not None:
            spans.append((i, i + hit[0]))
    return spans


def pick_table(text: str, tables: list[TableSchema]) -> tuple[TableSchema, list[Mention]] | None:
    """The table whose columns (and name) the request names best, with its mentions."""
    best: tuple[float, TableSchema, list[Mention]] | None = None
    for t in tables:
        ms = mentions(text, t)
        score = sum(m.score * (m.last - m.first) for m in ms) + 1.0 * len(table_mentions(text, t))
        if ms and (best is None or score > best[0]):
            best = (score, t, ms)
    return (best[1], best[2]) if best else None
