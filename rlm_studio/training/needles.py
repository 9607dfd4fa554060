"""Keys, values, needle phrasings and question wordings for generated retrieval tasks.

Each family has a training part and a held-out part; the held-out part never appears in training data.
"""

from __future__ import annotations

import functools
import random
import string
from collections.abc import Callable

_ADJ = ("silent", "crimson", "frozen", "hollow", "brisk", "amber", "gentle", "bitter", "lucky", "rusty", "vivid",
        "quiet", "tidy", "wooden", "shiny", "fuzzy", "noble", "swift", "dusty", "humble", "clever", "rapid",
        "golden", "hidden", "narrow", "proud", "scarlet", "sleepy", "stormy", "velvet", "wild", "young", "ancient",
        "bright", "calm", "eager", "fancy", "grumpy", "jolly", "lively", "misty", "odd", "plain", "quick", "rough",
        "sharp", "tall", "vast", "warm", "zealous", "electric", "polished", "restless", "subtle", "tender")
_NOUN = ("falcon", "harbor", "lantern", "meadow", "compass", "violin", "glacier", "orchard", "pebble", "tunnel",
         "canyon", "ember", "ferry", "garden", "helmet", "island", "jacket", "kettle", "ladder", "magnet",
         "needle", "otter", "parrot", "quarry", "ribbon", "saddle", "teapot", "umbrella", "valley", "walrus",
         "anchor", "basket", "candle", "dragon", "engine", "feather", "goblet", "hammer", "igloo", "jigsaw",
         "kitten", "lemon", "mirror", "nectar", "onion", "pillow", "rocket", "sparrow", "tulip", "wagon")
_FIRST = ("Alma", "Bruno", "Chen", "Dara", "Emil", "Farah", "Goran", "Hana", "Ivo", "Juno", "Kofi", "Lena",
          "Mateo", "Nadia", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tomoko", "Umar", "Vera", "Wes", "Yara")
_LAST = ("Reyes", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Haddad", "Kowalski", "Abara", "Fischer",
         "Duarte", "Ivanova", "Mensah", "Ferreira", "Sato", "Brennan", "Castillo", "Petrov", "Nakamura", "Olsen")
_THING = ("server", "vault", "project", "account", "locker", "gateway", "cluster", "ledger", "portal", "archive")
_TITLE_A = ("The", "A", "Our", "My")
_WORDS_V = ("marigold", "tangerine", "obsidian", "lavender", "cobalt", "juniper", "saffron", "quartz", "hazel",
            "indigo", "pistachio", "basalt", "cinnamon", "mahogany", "turquoise", "vermilion", "graphite")

Key = tuple[str, str]  # (how the question names it, how the needle writes it)


@functools.lru_cache(maxsize=1)
def _word_lists() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Thousands of adjectives and nouns (wonderwords' lists, as RULER uses) so keys are words the model must
    copy, not a few it can memorise; the short built-in lists when wonderwords is not installed."""
    try:
        from importlib import resources
        assets = resources.files("wonderwords") / "assets"

        def read(name: str) -> tuple[str, ...]:
            text = (assets / name).read_text(encoding="utf-8")
            return tuple(sorted({w.strip() for w in text.splitlines() if w.strip().isascii() and w.strip().isalpha()}))

        return read("adjectivelist.txt"), read("nounlist.txt")
    except (ImportError, OSError):
        return _ADJ, _NOUN


def _adj_noun(rng: random.Random) -> Key:
    adjectives, nouns = _word_lists()
    k = f"{rng.choice(adjectives)} {rng.choice(nouns)}"
    return k, k


def _adj_noun_hyphen(rng: random.Random) -> Key:
    adjectives, nouns = _word_lists()
    k = f"{rng.choice(adjectives)}-{rng.choice(nouns)}"
    return k, k


def _person(rng: random.Random) -> Key:
    k = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    return k, k


def _snake(rng: random.Random) -> Key:
    k = f"{rng.choice(_ADJ)}_{rng.choice(_NOUN)}_{rng.choice(_THING)}"
    return k, k


def _hexid(rng: random.Random) -> Key:
    k = "".join(rng.choices("0123456789abcdef", k=8)) + "-" + "".join(rng.choices("0123456789abcdef", k=4))
    return k, k


def _numbered(rng: random.Random) -> Key:
    k = f"{rng.choice(_THING)} {rng.randint(10, 9999)}"
    return k, k


def _title(rng: random.Random) -> Key:
    k = f"{rng.choice(_TITLE_A)} {rng.choice(_ADJ).title()} {rng.choice(_NOUN).title()}"
    return k, k


def _upper_code(rng: random.Random) -> Key:  # held out: ORION-7 style codenames
    k = f"{rng.choice(_NOUN).upper()}-{rng.randint(1, 99)}"
    return k, k


def _camel(rng: random.Random) -> Key:  # held out: CamelCase identifiers
    k = f"{rng.choice(_ADJ).title()}{rng.choice(_NOUN).title()}{rng.choice(_THING).title()}"
    return k, k


def _mixed_case(rng: random.Random) -> Key:  # held out: the needle writes the key in another case
    k = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
    return k, k.title()


TRAIN_KEYS: tuple[Callable[[random.Random], Key], ...] = (
    _adj_noun, _adj_noun, _adj_noun_hyphen, _adj_noun_hyphen, _adj_noun_hyphen, _person, _snake, _hexid, _numbered,
    _title)
HELDOUT_KEYS: tuple[Callable[[random.Random], Key], ...] = (_upper_code, _camel, _mixed_case)


def _digits(rng: random.Random, n: int = 7) -> str:
    return str(rng.randint(10 ** (n - 1), 10 ** n - 1))


def _value_7(rng: random.Random) -> str:
    return _digits(rng, 7)


def _value_n(rng: random.Random) -> str:
    return _digits(rng, rng.choice((4, 5, 6, 8, 9, 10)))


def _value_word(rng: random.Random) -> str:
    return rng.choice(_WORDS_V)


def _value_code(rng: random.Random) -> str:
    letters = string.ascii_uppercase
    return f"{''.join(rng.choices(letters, k=2))}-{_digits(rng, 4)}-{''.join(rng.choices(letters, k=2))}"


def _value_date(rng: random.Random) -> str:
    return f"{rng.randint(1990, 2035)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _value_uuidish(rng: random.Random) -> str:  # held out
    return "-".join("".join(rng.choices("0123456789abcdef", k=n)) for n in (8, 4, 4))


def _value_decimal(rng: random.Random) -> str:  # held out
    return f"{rng.randint(1, 999)}.{rng.randint(10, 9999)}"


TRAIN_VALUES: tuple[Callable[[random.Random], str], ...] = (
    _value_7, _value_7, _value_7, _value_7, _value_n, _value_word, _value_code, _value_date)
HELDOUT_VALUES: tuple[Callable[[random.Random], str], ...] = (_value_uuidish, _value_decimal, _value_7)

# {k}: the key as the needle writes it, {v}: the value. One line each.
TRAIN_NEEDLES: tuple[str, ...] = (
    "One of the special magic numbers for {k} is: {v}.",
    "The special magic number for {k} is: {v}.",
    "The secret code for {k} is {v}.",
    "{k}'s access number: {v}",
    "Remember: {v} is the value of {k}.",
    "Note to self - the {k} passcode is {v}.",
    "The password for {k} is {v}, do not share it.",
    '{{"name": "{k}", "value": "{v}"}}',
    '"{k}": {v},',
    "{k},{v}",
    "2024-05-17 10:22:31 INFO registry: {k} assigned id={v}",
    "# {k} -> {v}",
    "{k} = {v}",
    "key={k} value={v}",
    "| {k} | {v} |",
    "The registration number of {k} is {v}.",
    "For the record, {k} was given the number {v}.",
    "If anyone asks about {k}, the answer is {v}.",
    "<item key=\"{k}\">{v}</item>",
    "{k}: {v}",
    "We finally learned that the hidden value for {k} is {v}.",
    "ID for {k} = {v}",
    "// TODO: {k} uses the magic value {v}",
    "- {k}: {v}",
    "Keep in mind that {k} corresponds to {v}.",
    "The combination that opens {k} is {v}.",
    "WARN config: {k} overridden with {v}",
    "Among the special magic numbers, the one for {k} is {v}.",
)
HELDOUT_NEEDLES: tuple[str, ...] = (
    "According to the ledger, {k} is tied to {v}.",
    "{k} (reference: {v})",
    "<{k}> {v} </{k}>",
    "DEBUG 14:02 lookup({k!r}) returned {v}",
    "It turned out {v} belonged to {k} all along.",
    "[{k}] => {v}",
    "Whoever holds {k} must quote {v} at the door.",
)

# {q}: the key as the question names it.
TRAIN_QUESTIONS: tuple[str, ...] = (
    "What is the special magic number for {q} mentioned in the provided text?",
    "What is the value associated with {q}?",
    "Find the secret code for {q}.",
    "What number is given for {q}?",
    "Which value does the text give for {q}?",
    "Look up {q}: what is its value?",
    "What is {q}'s code?",
    "Tell me the number that belongs to {q}.",
    "The context mentions {q} somewhere. What value goes with it?",
    "Retrieve the value of {q} from the documents.",
    "What is recorded for {q}?",
    "What's the passcode or number for {q}?",
    "Search the text: what is the value for {q}?",
    "In the provided text, what is the magic number for {q}?",
    "Give me the value stored for {q}.",
    "{q}: what value does the context give?",
)
HELDOUT_QUESTIONS: tuple[str, ...] = (
    "Can you tell me which value is linked to {q}?",
    "I need the identifier for {q}. What is it?",
    "According to the text, what does {q} map to?",
    "Somewhere in these documents {q} has a number. Which one?",
)
MV_QUESTIONS: tuple[str, ...] = (
    "What are all the special magic numbers for {q} mentioned in the provided text?",
    "List every value given for {q}.",
    "The text gives several values for {q}. What are they all?",
    "Find all the numbers associated with {q}.",
)
MQ_QUESTIONS: tuple[str, ...] = (
    "What are the special magic numbers for {q}?",
    "Give the values for {q}.",
    "Find the codes for {q}.",
)
