"""OOLONG trec_coarse-style entries: dated questions by user id whose coarse TREC label the text implies.

A stand-in for the released OOLONG data (its construction code is unreleased): the questions are
generated from templates, one template set per label, so every label is known by construction.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from ..tokens import count_tokens

LABELS = ("abbreviation", "entity", "description and abstract concept", "human being", "location",
          "numeric value")

_THINGS = ["radar", "laser", "scuba gear", "the telephone", "the light bulb", "penicillin", "the printing press",
           "the jet engine", "television", "the bicycle", "the compass", "paper money", "the microwave oven"]
_ACRONYMS = ["NASA", "UNESCO", "NATO", "AIDS", "CPU", "DNA", "FBI", "HTML", "IRA", "LED", "OPEC", "PIN", "RSVP",
             "SCUBA", "UFO", "USB", "VIP", "WHO", "ZIP", "GDP"]
_PLACES = ["Mount Kilimanjaro", "the Eiffel Tower", "Machu Picchu", "the Great Barrier Reef", "Timbuktu",
           "the Taj Mahal", "Angkor Wat", "Lake Titicaca", "the Sahara", "Stonehenge", "Petra", "the Alhambra"]
_CITIES = ["Denver", "Aspen", "Lisbon", "Osaka", "Nairobi", "Lima", "Oslo", "Perth", "Quebec", "Seville",
           "Tucson", "Cairo", "Hanoi", "Bergen", "Dakar", "Calgary"]
_WORKS = ["Hamlet", "Moby Dick", "The Odyssey", "Don Quixote", "War and Peace", "Pride and Prejudice",
          "The Divine Comedy", "Frankenstein", "Dracula", "Ulysses", "Beloved", "The Iliad"]
_ANIMALS = ["dog", "horse", "parrot", "whale", "beetle", "shark", "owl", "camel", "frog", "spider"]
_CONCEPTS = ["democracy", "entropy", "photosynthesis", "inflation", "irony", "gravity", "nostalgia",
             "osmosis", "karma", "a sonnet", "a black hole", "jazz", "stoicism", "a haiku"]
_EVENTS = ["the first moon landing", "the fall of the Berlin Wall", "the signing of the Magna Carta",
           "the first Olympic Games", "the invention of the telephone", "the Battle of Hastings"]

TEMPLATES: dict[str, list[str]] = {
    "abbreviation": ["What does {acronym} stand for ?", "What is the full form of {acronym} ?",
                     "What is the abbreviation for the {org_long} ?", "What do the letters {acronym} mean ?"],
    "entity": ["What breed of {animal} is the most popular ?", "What instrument did the composer of {work} play ?",
               "What is the name of the ship in {work} ?", "What sport is played at {place} ?",
               "What kind of food do {animal}s eat ?", "What color is the flag flown over {place} ?"],
    "description and abstract concept": ["What is {concept} ?", "How does {thing} work ?",
                                         "Why is {concept} important ?", "What is the definition of {concept} ?",
                                         "What does it mean when people talk about {concept} ?"],
    "human being": ["Who invented {thing} ?", "Who wrote {work} ?", "Who was the first person to climb {place} ?",
                    "Who designed {place} ?", "Which explorer first reached {city} ?"],
    "location": ["Where is {place} ?", "In what country is {city} ?", "Where was {work} written ?",
                 "What continent is {place} on ?", "Where can you see {place} ?"],
    "numeric value": ["How far is it from {city} to {city2} ?", "How many {animal}s live in {place} ?",
                      "When did {event} happen ?", "What year was {thing} invented ?",
                      "How tall is {place} ?", "How many pages does {work} have ?"],
}
_ORGS = ["United Nations Educational, Scientific and Cultural Organization", "North Atlantic Treaty Organization",
         "World Health Organization", "Organization of the Petroleum Exporting Countries"]
START = dt.date(2022, 10, 1)
DAYS = 300


@dataclass(frozen=True)
class Entry:
    user: int
    date: dt.date
    text: str
    label: str

    def line(self) -> str:
        return f"Date: {self.date.strftime('%b %d, %Y')} || User: {self.user} || Instance: {self.text}"


HEADER = ("The following lines contain general-knowledge questions, one per line, each with the date it was "
          "asked and the id of the user who asked it. Each question can be labelled as one of: "
          + ", ".join(LABELS) + ". The labels are not given: infer a question's label from what it asks.\n")


def _question(rng: random.Random, label: str) -> str:
    template = rng.choice(TEMPLATES[label])
    cities = rng.sample(_CITIES, 2)
    return template.format(acronym=rng.choice(_ACRONYMS), org_long=rng.choice(_ORGS), animal=rng.choice(_ANIMALS),
                           work=rng.choice(_WORKS), place=rng.choice(_PLACES), concept=rng.choice(_CONCEPTS),
                           thing=rng.choice(_THINGS), city=cities[0], city2=cities[1], event=rng.choice(_EVENTS))


def generate_entries(size_tokens: int, rng: random.Random, users: int | None = None,
                     profiles: bool = False) -> tuple[str, list[Entry]]:
    """(context, entries) with the context as close to `size_tokens` tokens as whole lines allow.
    With `profiles`, each user asks mostly about two labels (so per-user conditions tell users apart)."""
    budget = size_tokens - count_tokens(HEADER)
    pool = users or max(8, size_tokens // 250)
    ids = rng.sample(range(10_000, 99_999), pool)
    weights = [rng.uniform(0.5, 2.0) for _ in LABELS]
    favourite = {u: set(rng.sample(LABELS, 2)) for u in ids}
    entries: list[Entry] = []
    used = 0
    while True:
        user = rng.choice(ids)
        mix = [1.0 if lab in favourite[user] else 0.04 for lab in LABELS] if profiles else weights
        label = rng.choices(LABELS, mix)[0]
        entry = Entry(user, START + dt.timedelta(days=rng.randrange(DAYS)), _question(rng, label), label)
        cost = count_tokens(entry.line() + "\n")
        if used + cost > budget:
            break
        entries.append(entry)
        used += cost
    return HEADER + "\n".join(e.line() for e in entries), entries
