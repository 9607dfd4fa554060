"""Guess a text file's encoding: BOM, then UTF-8, then a Western-text check, then
charset-normalizer (which on its own often mistakes cp1252 for cp1250/cp1257)."""

from __future__ import annotations

import codecs
import unicodedata

# Longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"),
)

# Non-ASCII characters that Western European text decoded as cp1252 is made of.
# Today's usual non-Unicode encodings, most common first (Windows code pages, then ISO,
# then East Asian); charset-normalizer alone often picks a Mac or DOS code page instead.
_COMMON_LEGACY = (
    "cp1252", "cp1251", "cp1250", "cp1253", "cp1254", "cp1257", "cp1255", "cp1256",
    "koi8-r", "iso8859-2", "iso8859-5", "iso8859-7", "iso8859-15", "shift_jis", "cp932",
    "euc_jp", "gb2312", "gbk", "gb18030", "big5", "euc_kr", "cp949",
)

_WESTERN_PUNCTUATION = set("“”‘’„‚–—…•€£¥©®™°±×÷«»§¶·\u00a0¡²½¼¾")


def bom_encoding(head: bytes) -> tuple[str, str] | None:
    """(codec to decode with, name to report) when `head` starts with a BOM."""
    for bom, codec, label in _BOMS:
        if head.startswith(bom):
            return codec, label
    return None


def bomless_utf16(sample: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" for UTF-16 text without a BOM (mostly Latin script, so
    every other byte is NUL), else None."""
    if len(sample) < 16:
        return None
    even_nuls = sample[0::2].count(0) / (len(sample) / 2)
    odd_nuls = sample[1::2].count(0) / (len(sample) / 2)
    for codec, nuls, other in (("utf-16-le", odd_nuls, even_nuls), ("utf-16-be", even_nuls, odd_nuls)):
        if nuls > 0.6 and other < 0.05:
            try:
                sample[: len(sample) // 2 * 2].decode(codec)
            except UnicodeDecodeError:
                continue  # a character cut at the sample's end is fine; broken surrogates are not
            return codec
    return None


def is_utf8(sample: bytes, *, complete: bool) -> bool:
    """True if `sample` is valid UTF-8; a cut-off character at its end is allowed
    unless `complete` (the sample is the whole file)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def is_mostly_utf8(sample: bytes) -> bool:
    """True for UTF-8 text with a few stray invalid bytes (a damaged or concatenated file):
    valid multi-byte characters clearly outnumber the invalid bytes."""
    text = sample.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good_non_ascii = sum(1 for char in text if char > "\x7f") - bad
    return good_non_ascii >= 3 * bad and bad <= max(4, len(sample) // 1000)


def looks_like_western_cp1252(sample: bytes) -> bool:
    """True for Western European text in cp1252/latin-1: its non-ASCII characters are
    accented Latin letters or typographic punctuation, and a minority of all letters
    (text in Cyrillic or Greek code pages decodes to words made wholly of them)."""
    try:
        text = sample.decode("cp1252")
    except UnicodeDecodeError:
        return False
    ascii_letters = non_ascii_letters = non_ascii_other = plausible_other = 0
    for char in text:
        if char < "\x80":
            if char.isalpha():
                ascii_letters += 1
        elif char.isalpha() and "LATIN" in unicodedata.name(char, ""):
            non_ascii_letters += 1
        else:
            non_ascii_other += 1
            if char in _WESTERN_PUNCTUATION:
                plausible_other += 1
    non_ascii = non_ascii_letters + non_ascii_other
    if non_ascii == 0:
        return True
    if plausible_other + non_ascii_letters < 0.9 * non_ascii:
        return False
    return non_ascii_letters <= 0.3 * (ascii_letters + non_ascii_letters)


def guess_legacy_encoding(sample: bytes) -> str | None:
    """The most likely non-Unicode encoding of `sample`, or None if nothing fits."""
    if looks_like_western_cp1252(sample):
        return "cp1252"
    from charset_normalizer import from_bytes

    matches = list(from_bytes(sample))
    if not matches:
        return None
    # On short samples several code pages fit about equally; prefer the common ones.
    best_chaos = min(match.percent_chaos for match in matches)
    fitting = [codecs.lookup(m.encoding).name for m in matches if m.percent_chaos <= best_chaos + 1.0]
    for preferred in _COMMON_LEGACY:
        if preferred in fitting:
            return preferred
    return codecs.lookup(matches[0].encoding).name
