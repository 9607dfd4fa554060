"""BrowseComp-Plus-style multi-hop questions (a stand-in, not the released corpus) over generated documents.

An invented world of people, organisations and cities; each entity has its own document, so a
question needs 2 or 3 hops across documents (person -> employer -> founder -> birthplace ...).
Distractor documents describe look-alike entities. Scored by normalised exact match.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ..task import Task
from ..tokens import count_tokens, format_size

_SYL = ["ka", "lo", "mer", "vin", "dra", "sel", "tor", "bi", "quan", "rel", "os", "tam", "gri", "zen", "pha", "ul",
        "cor", "ny", "ves", "hal", "bro", "mi", "sta", "eth"]
_FIRST = ["Ada", "Bruno", "Clara", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Luca",
          "Mara", "Nils", "Olga", "Pavel", "Rosa", "Sven", "Talia", "Umar", "Vera", "Wim", "Yara", "Zeno"]
_INDUSTRY = ["Shipping", "Optics", "Textiles", "Robotics", "Publishing", "Ceramics", "Brewing", "Mining"]
_CITY_END = ["ford", "haven", "berg", "mouth", "dale", "port", "stead", "wick"]
_FILLER = ["Local archives hold several letters about this.", "Historians disagree on some of the details.",
           "The records were digitised in a later decade.", "A small museum keeps photographs from that time.",
           "Several newspapers reported on it at the time.", "The region's climate is mild for most of the year."]


def _word(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYL) for _ in range(parts)).capitalize()


@dataclass
class World:
    cities: list[dict[str, str]] = field(default_factory=list)
    orgs: list[dict[str, str]] = field(default_factory=list)
    people: list[dict[str, str]] = field(default_factory=list)


def _unique(rng: random.Random, make: Callable[[random.Random], str], taken: set[str]) -> str:
    while True:
        name = make(rng)
        if name not in taken:
            taken.add(name)
            return str(name)


def build_world(rng: random.Random, n_people: int) -> World:
    taken: set[str] = set()
    world = World()
    for _ in range(max(4, n_people // 3)):
        world.cities.append({"name": _unique(rng, lambda r: _word(r, 2) + r.choice(_CITY_END), taken),
                             "river": _unique(rng, lambda r: "the " + _word(r, 2) + " river", taken),
                             "year": str(rng.randint(900, 1700))})
    for _ in range(max(4, n_people // 2)):
        world.orgs.append({"name": _unique(rng, lambda r: f"{_word(r, 2)} {r.choice(_INDUSTRY)}", taken),
                           "city": rng.choice(world.cities)["name"], "year": str(rng.randint(1850, 2010))})
    for _ in range(n_people):
        world.people.append({"name": _unique(rng, lambda r: f"{r.choice(_FIRST)} {_word(r, 2)}", taken),
                             "born": rng.choice(world.cities)["name"], "works": rng.choice(world.orgs)["name"],
                             "year": str(rng.randint(1930, 1995))})
    for org in world.orgs:
        org["founder"] = rng.choice(world.people)["name"]
    return world


def documents(world: World, rng: random.Random) -> dict[str, str]:
    docs: dict[str, str] = {}

    def add(title: str, facts: list[str]) -> None:
        body = facts + rng.sample(_FILLER, 2)
        rng.shuffle(body)
        docs[f"doc-{len(docs) + 1:04d}"] = f"{title}\n\n" + " ".join(body)

    for p in world.people:
        add(p["name"], [f"{p['name']} was born in {p['born']} in {p['year']}.", f"{p['name']} works for {p['works']}."])
        if rng.random() < 0.5:  # a distractor: the person named next to another organisation and city
            other, place = rng.choice(world.orgs), rng.choice(world.cities)
            if other["name"] != p["works"]:
                add(f"Notes on {other['name']}", [
                    f"{p['name']} once applied to {other['name']} but did not join.",
                    f"{p['name']} visited {place['name']} for a conference on behalf of a client."])
    for o in world.orgs:
        add(o["name"], [f"{o['name']} was founded in {o['year']} by {o['founder']}.",
                        f"The headquarters of {o['name']} are in {o['city']}."])
    for c in world.cities:
        add(c["name"], [f"{c['name']} lies on {c['river']}.", f"{c['name']} was first recorded in {c['year']}."])
    return docs


def _question(rng: random.Random, world: World) -> tuple[str, str, int]:
    person = rng.choice(world.people)
    org = next(o for o in world.orgs if o["name"] == person["works"])
    founder = next(p for p in world.people if p["name"] == org["founder"])
    kind = rng.randrange(4)
    if kind == 0:
        return (f"In which city was the founder of the organisation that {person['name']} works for born?",
                founder["born"], 3)
    if kind == 1:
        city = next(c for c in world.cities if c["name"] == org["city"])
        return (f"On which river lies the city where the organisation that employs {person['name']} has its "
                "headquarters?", city["river"].removeprefix("the "), 3)
    if kind == 2:
        return f"In which year was the organisation that {person['name']} works for founded?", org["year"], 2
    city = next(c for c in world.cities if c["name"] == person["born"])
    return f"On which river lies the birthplace of {person['name']}?", city["river"].removeprefix("the "), 2


def generate(n_tasks: int, size_tokens: int, seed: int = 0) -> list[Task]:
    tasks = []
    for i in range(n_tasks):
        rng = random.Random(f"browsecomp:{size_tokens}:{seed}:{i}")
        people = max(6, size_tokens // 120)          # a first guess; then scaled to the measured size
        world_seed, docs_seed = rng.random(), rng.random()
        best: tuple[World, dict[str, str], int] | None = None
        for _ in range(5):
            world = build_world(random.Random(world_seed), people)
            docs = documents(world, random.Random(docs_seed))
            tokens = count_tokens("\n\n".join(docs.values()))
            if tokens <= size_tokens and (best is None or tokens > best[2]):
                best = (world, docs, tokens)
            if best is not None and best[2] >= size_tokens * 0.97 or people <= 6 and tokens > size_tokens:
                break
            people = max(6, int(people * size_tokens / tokens * 0.99))
        world, docs, tokens = best if best is not None else (world, docs, tokens)
        question, answer, hops = _question(rng, world)
        tasks.append(Task(id=f"browsecomp-{format_size(size_tokens)}-{i:04d}", family="browsecomp",
                          size_tokens=tokens, context=docs, question=question + " Answer with the name only.",
                          answers=[answer], scorer="exact",
                          meta={"hops": hops, "documents": len(docs), "target_tokens": size_tokens, "seed": seed}))
    return tasks
