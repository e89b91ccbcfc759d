"""Chinese names as an RM types and reads them: normalization, pinyin readings, phone-book order.

Pure rules, no database: what a name is compared as (:func:`normalize`), how it may be
read (:func:`name_readings`) and where it sorts (:func:`name_sort_key`). The customer
search index (:mod:`rm_workbench.db.search`) turns these into terms and order rows;
they live apart from it because they change for a different reason (a surname read
wrongly, a new heteronym), not when the index or its queries change.

Pinyin: pypinyin has no surname mode, so surnames come from the tables below
(曾 zeng, 单 shan, 解 xie, 仇 qiu, 区 ou, 查 zha, 朴 piao …; compound 欧阳, 司马,
长孙, 单于 …); the given name is read by pypinyin with its phrase dictionary, plus the
other readings of characters that are read two ways in names (``GIVEN_NAME_READINGS``),
``MAX_READINGS`` in all. Corporate names are read as a whole (phrases: 重庆 chongqing,
银行 yinhang).
"""

from __future__ import annotations

import re
import sys
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

# Readings indexed per name: the correct one plus heteronyms of given-name characters.
MAX_READINGS = 4

_DROPPED_CHARS = frozenset("·・•‧'’")  # name separators (阿卜杜·热合曼) and pinyin apostrophes
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
# A run of Latin letters or digits, as normalize leaves them.
ASCII_ALNUM = re.compile(r"[a-z0-9]+")

# --- readings -------------------------------------------------------------------------

# Surnames pypinyin reads wrongly out of context (曾 → ceng) or that have two real
# surname readings (乐 yue / le): the surname reading(s), most common first.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "曾": ("zeng",),
    "单": ("shan",),
    "解": ("xie",),
    "仇": ("qiu",),
    "区": ("ou",),
    "查": ("zha",),
    "朴": ("piao",),
    "翟": ("zhai",),
    "缪": ("miao",),
    "覃": ("qin",),
    "柏": ("bai",),
    "秘": ("bi",),
    "员": ("yun",),
    "贠": ("yun",),
    "尉": ("wei",),
    "盖": ("ge", "gai"),
    "乐": ("yue", "le"),
    "召": ("shao",),
    "隗": ("wei",),
    "能": ("nai",),
    "句": ("gou",),
    "阚": ("kan",),
    "乜": ("nie",),
    "繁": ("po",),
    "黑": ("he",),
    "种": ("chong",),
    "折": ("she",),
    "长": ("chang",),
    "重": ("chong",),
    "薄": ("bo",),
    "都": ("du",),
    "适": ("kuo",),
    "蔚": ("yu", "wei"),
    "祭": ("zhai",),
    "宓": ("mi", "fu"),
    "谌": ("chen", "shen"),
    "訾": ("zi",),
    "厍": ("she",),
    "逄": ("pang",),
    "逢": ("feng", "pang"),
    "牟": ("mou", "mu"),
    "贾": ("jia",),
    "沈": ("shen",),
    "石": ("shi",),
    "任": ("ren",),
    "宁": ("ning",),
    "燕": ("yan",),
    "曲": ("qu",),
    "卜": ("bu",),
    "藏": ("zang",),
    "莘": ("shen",),
    "颉": ("xie",),
    "佴": ("nai",),
    "陆": ("lu",),
    "弓": ("gong",),
    "鲜": ("xian",),
    "干": ("gan",),
    "行": ("xing",),
    "苑": ("yuan",),
    "占": ("zhan",),
    "粘": ("nian",),
    "番": ("pan",),
    "系": ("xi",),
    "车": ("che",),
    "和": ("he",),
    "朝": ("chao",),
    "便": ("pian",),
    "把": ("ba",),
}

# Compound surnames (复姓) with their readings; a name starting with one is read as
# compound surname + given name (and also as single surname + given name, since
# e.g. 单于飞 may be 单 + 于飞).
COMPOUND_SURNAMES: dict[str, tuple[str, str]] = {
    "欧阳": ("ou", "yang"),
    "司马": ("si", "ma"),
    "上官": ("shang", "guan"),
    "诸葛": ("zhu", "ge"),
    "东方": ("dong", "fang"),
    "皇甫": ("huang", "fu"),
    "令狐": ("ling", "hu"),
    "慕容": ("mu", "rong"),
    "宇文": ("yu", "wen"),
    "司徒": ("si", "tu"),
    "司空": ("si", "kong"),
    "夏侯": ("xia", "hou"),
    "公孙": ("gong", "sun"),
    "轩辕": ("xuan", "yuan"),
    "澹台": ("tan", "tai"),
    "尉迟": ("yu", "chi"),
    "万俟": ("mo", "qi"),
    "长孙": ("zhang", "sun"),
    "单于": ("chan", "yu"),
    "端木": ("duan", "mu"),
    "呼延": ("hu", "yan"),
    "南宫": ("nan", "gong"),
    "西门": ("xi", "men"),
    "申屠": ("shen", "tu"),
    "闻人": ("wen", "ren"),
    "公冶": ("gong", "ye"),
    "太叔": ("tai", "shu"),
    "钟离": ("zhong", "li"),
    "濮阳": ("pu", "yang"),
    "百里": ("bai", "li"),
    "东郭": ("dong", "guo"),
    "亓官": ("qi", "guan"),
    "拓跋": ("tuo", "ba"),
    "赫连": ("he", "lian"),
    "仲孙": ("zhong", "sun"),
    "宗政": ("zong", "zheng"),
    "公羊": ("gong", "yang"),
    "乐正": ("yue", "zheng"),
    "第五": ("di", "wu"),
    "左丘": ("zuo", "qiu"),
    "羊舌": ("yang", "she"),
    "巫马": ("wu", "ma"),
    "谷梁": ("gu", "liang"),
    "段干": ("duan", "gan"),
    "梁丘": ("liang", "qiu"),
    "壤驷": ("rang", "si"),
    "子车": ("zi", "ju"),
    "漆雕": ("qi", "diao"),
    "公西": ("gong", "xi"),
    "颛孙": ("zhuan", "sun"),
}


# Characters read more than one way *in given names* (长 chang / zhang, 乐 le / yue):
# every reading here is indexed besides pypinyin's contextual one. pypinyin's own
# heteronym lists are not used: they carry archaic readings (淑 chu, 俊 dun, 英 yang,
# 平 beng) that put wrong names among prefix hits and double the pinyin rows.
GIVEN_NAME_READINGS: dict[str, tuple[str, ...]] = {
    "长": ("chang", "zhang"),
    "乐": ("le", "yue"),
    "重": ("zhong", "chong"),
    "行": ("xing", "hang"),
    "朝": ("zhao", "chao"),
    "觉": ("jue", "jiao"),
    "茜": ("qian", "xi"),
    "会": ("hui", "kuai"),
    "都": ("du", "dou"),
    "降": ("jiang", "xiang"),
    "参": ("can", "shen"),
    "传": ("chuan", "zhuan"),
    "率": ("shuai", "lv"),
    "调": ("tiao", "diao"),
    "省": ("sheng", "xing"),
    "藏": ("cang", "zang"),
    "强": ("qiang", "jiang"),
    "将": ("jiang", "qiang"),
    "盛": ("sheng", "cheng"),
    "晟": ("sheng", "cheng"),
    "乘": ("cheng", "sheng"),
    "蔚": ("wei", "yu"),
    "尉": ("wei", "yu"),
    "柏": ("bai", "bo"),
    "伯": ("bo", "bai"),
    "宿": ("su", "xiu"),
    "奇": ("qi", "ji"),
    "期": ("qi", "ji"),
    "折": ("zhe", "she"),
    "露": ("lu", "lou"),
    "莎": ("sha", "suo"),
    "娜": ("na", "nuo"),
    "那": ("na", "nuo"),
    "隽": ("jun", "juan"),
    "筠": ("yun", "jun"),
    "靓": ("jing", "liang"),
    "见": ("jian", "xian"),
    "大": ("da", "dai"),
    "角": ("jiao", "jue"),
    "扁": ("bian", "pian"),
    "便": ("bian", "pian"),
    "殷": ("yin", "yan"),
    "阿": ("a", "e"),
    "石": ("shi", "dan"),
    "单": ("dan", "shan"),
    "解": ("jie", "xie"),
    "曾": ("zeng", "ceng"),
    "查": ("cha", "zha"),
    "朴": ("pu", "piao"),
    "区": ("qu", "ou"),
    "仇": ("chou", "qiu"),
    "翟": ("zhai", "di"),
    "覃": ("tan", "qin"),
    "员": ("yuan", "yun"),
    "秘": ("mi", "bi"),
    "泌": ("mi", "bi"),
    "缪": ("miao", "miu"),
    "沈": ("shen", "chen"),
    "谌": ("chen", "shen"),
    "汤": ("tang", "shang"),
    "贾": ("jia", "gu"),
    "种": ("zhong", "chong"),
    "於": ("yu", "wu"),
    "薄": ("bo", "bao"),
    "弄": ("nong", "long"),
    "落": ("luo", "la"),
    "颉": ("jie", "xie"),
    "蕃": ("fan", "bo"),
    "珩": ("heng", "hang"),
    "炅": ("gui", "jiong"),
    "芾": ("fu", "fei"),
    "蔓": ("man", "wan"),
    "鹄": ("hu", "gu"),
    "莘": ("shen", "xin"),
    "厦": ("sha", "xia"),
    "给": ("gei", "ji"),
    "了": ("le", "liao"),
    "的": ("de", "di"),
    "和": ("he", "huo"),
    "塞": ("sai", "se"),
    "卜": ("bu", "bo"),
}


def normalize(text: str) -> str:
    """The form both terms and queries are compared in: full-width → half-width (NFKC),
    lower case, no spaces, no control or unassigned characters, no name dots."""
    folded = unicodedata.normalize("NFKC", text).lower()
    if folded.isalnum():  # the common case (names, numbers): nothing to drop
        return folded
    return "".join(
        ch
        for ch in folded
        if ch not in _DROPPED_CHARS and unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )


def _ascii_tokens(text: str) -> list[str]:
    return ASCII_ALNUM.findall(text)


def warm_up_readings() -> None:
    """Load pypinyin's dictionaries (~0.3 s, once per process) on a daemon thread, so
    that a caller about to index names (a bootstrap waiting for its first pages)
    does not wait for them later. A no-op once they are loaded."""
    if "pypinyin" in sys.modules:
        return
    threading.Thread(
        target=_syllable_options, args=("张",), name="pinyin-warm-up", daemon=True
    ).start()


@lru_cache(maxsize=8192)
def _char_readings(char: str) -> tuple[str, ...]:
    """Toneless readings of one Han character, pypinyin's most common first."""
    from pypinyin import Style, pinyin  # imported on first use: 0.25 s at start-up

    readings = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    found = [r for r in (readings[0] if readings else []) if ASCII_ALNUM.fullmatch(r)]
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=65536)
def _syllable_options(text: str) -> tuple[tuple[str, ...], ...]:
    """Per syllable of ``text`` (normalized), its readings: the contextual one first
    (pypinyin's phrase dictionary), then the character's other readings. A run of
    Latin letters or digits is one "syllable" with one reading."""
    from pypinyin import Style, lazy_pinyin

    options: list[tuple[str, ...]] = []
    position = 0
    for run in _HAN.finditer(text):
        options.extend((token,) for token in _ascii_tokens(text[position : run.start()]))
        chars = run.group()
        contextual = lazy_pinyin(chars, style=Style.NORMAL, errors="ignore")
        if len(contextual) != len(chars):  # a character without a reading
            contextual = [(_char_readings(ch) or ("",))[0] for ch in chars]
        for char, primary in zip(chars, contextual, strict=True):
            others = tuple(r for r in GIVEN_NAME_READINGS.get(char, ()) if r != primary)
            if primary:
                options.append((primary, *others))
            elif others:
                options.append(others)
        position = run.end()
    options.extend((token,) for token in _ascii_tokens(text[position:]))
    return tuple(options)


def _combinations(options: Sequence[Sequence[str]], cap: int) -> list[tuple[str, ...]]:
    """The first reading of every syllable, then variants differing in one syllable
    (earlier syllables first), ``cap`` in all: all combinations explode for long names."""
    if not options:
        return []
    primary = tuple(choice[0] for choice in options)
    found = [primary]
    for index, choices in enumerate(options):
        for alternative in choices[1:]:
            if len(found) >= cap:
                return found
            found.append((*primary[:index], alternative, *primary[index + 1 :]))
    return found


@dataclass(frozen=True)
class NameReading:
    """One way to read a name: its syllables, the first ``surname_length`` of which are
    the surname (0 for a corporate name)."""

    syllables: tuple[str, ...]
    surname_length: int


@lru_cache(maxsize=4096)
def name_readings(name: str, *, individual: bool = True) -> tuple[NameReading, ...]:
    """How a (normalized) name may be read, most likely first, at most MAX_READINGS.
    Cached: indexing a customer asks twice (search terms, then the list's order)."""
    if not _HAN.search(name):
        return ()
    if not individual:
        return tuple(NameReading(s, 0) for s in _combinations(_syllable_options(name), 1))
    parses: list[tuple[list[tuple[str, ...]], int]] = []
    compound = COMPOUND_SURNAMES.get(name[:2]) if len(name) >= 3 else None
    if compound is not None:
        parses.append(([(compound[0],), (compound[1],), *_syllable_options(name[2:])], 2))
    first = name[0]
    surname = SURNAME_READINGS.get(first) or _char_readings(first)[:1]
    if _HAN.fullmatch(first) and surname:
        parses.append(([surname, *_syllable_options(name[1:])], 1))
    else:
        parses.append((list(_syllable_options(name)), 0))
    readings: dict[tuple[str, ...], int] = {}
    # Each parse's most likely reading goes in before any heteronym variant.
    for options, surname_length in parses:
        for syllables in _combinations(options, 1):
            readings.setdefault(syllables, surname_length)
    for options, surname_length in parses:
        for syllables in _combinations(options, MAX_READINGS):
            if len(readings) >= MAX_READINGS:
                break
            readings.setdefault(syllables, surname_length)
    return tuple(NameReading(s, n) for s, n in islice(readings.items(), MAX_READINGS))


# --- phone-book order -----------------------------------------------------------------

_SORT_TOKEN = re.compile(_HAN.pattern[:-1] + "|[a-z0-9]+")  # one Han character, or a run


@lru_cache(maxsize=16384)
def _tone(char: str, syllable: str) -> str:
    """The tone digit (1–4, 5 neutral) of ``char`` read as ``syllable``; "0" unknown."""
    from pypinyin import Style, pinyin

    for reading in pinyin(char, style=Style.TONE3, heteronym=True, neutral_tone_with_five=True)[0]:
        if reading[-1:].isdigit() and reading[:-1] == syllable:
            return reading[-1]
    return "0"


def name_sort_key(name: str, *, individual: bool = True) -> str:
    """The key that puts names in the order a Chinese reader expects (a phone book's):
    character by character, by pinyin (surnames read as surnames: 曾 zeng, 单 shan),
    then tone, then the character itself, so 李 (li3) comes before 梁 (liang2), 黎 (li2)
    before 李, and the 张s stay together. Latin letters and digits sort as written
    among the pinyin (David between 丁 and 杜). Pure; compare keys as plain strings.

    ``"李明"`` → ``"li3李 ming2明"``: the space ends each character's part, so a shorter
    syllable sorts first (li before liang) and a name before its longer namesakes.
    """
    text = normalize(name)
    tokens = _SORT_TOKEN.findall(text)
    if not tokens:
        return text
    readings = name_readings(text, individual=individual)
    syllables = readings[0].syllables if readings else ()
    if len(syllables) != len(tokens):  # a character without a reading: read one by one
        syllables = tuple(
            token if token.isascii() else (_char_readings(token) or (token,))[0] for token in tokens
        )
    parts = [
        token if token.isascii() else syllable + _tone(token, syllable) + token
        for token, syllable in zip(tokens, syllables, strict=True)
    ]
    return " ".join(parts)
