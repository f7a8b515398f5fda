"""Search terms from text in English and Chinese, the same for what is indexed and what is asked.

PostgreSQL's text-search parsers split words at spaces and punctuation, and Chinese puts none between words: a
sentence would be one long "word" that no query matches. So each run of CJK characters becomes its overlapping
character bigrams ("细胞治疗" → 细胞 胞治 治疗), and a run of one character stays itself. A query made the same way
matches any text that holds its characters in that order, whatever words a segmenter would have seen (CJK indexes
of Lucene and Elasticsearch do the same, and need no dictionary of drug or company names). Latin words stay words.
"""

import re
from dataclasses import dataclass

# Han ideographs (with extension A and compatibility forms), kana and Hangul: scripts written without spaces.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_CJK_RUN = re.compile(f"[{CJK}]+")
# A letter or digit run that is not CJK: "CAR-T" gives car, t; "CD19" gives cd19.
_TOKEN = re.compile(f"[{CJK}]+|[^\\W_{CJK}]+")


@dataclass(frozen=True)
class Terms:
    latin: list[str]  # lower-case words, for the 'english' configuration (stemmed: "prices" finds "price")
    cjk: list[str]  # bigrams and single characters, for the 'simple' configuration (taken as they are)
    phrases: tuple[str, ...] = ()  # the CJK runs whole, for marking them in snippets as one

    def __bool__(self) -> bool:
        return bool(self.latin or self.cjk)

    @property
    def all(self) -> list[str]:
        return self.latin + self.cjk


def bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def search_terms(text: str) -> Terms:
    latin, cjk, phrases = [], [], []
    for token in _TOKEN.findall(text.lower()):
        if _CJK_RUN.fullmatch(token):
            cjk.extend(bigrams(token))
            phrases.append(token)
        else:
            latin.append(token)
    return Terms(latin=latin, cjk=cjk, phrases=tuple(phrases))


def padded(terms: list[str]) -> str:
    """Terms as one space-separated string with a space at each end, so " term" matches at a term's start."""
    return f" {' '.join(terms)} " if terms else ""


def cjk_runs(text: str) -> list[str]:
    return _CJK_RUN.findall(text)
