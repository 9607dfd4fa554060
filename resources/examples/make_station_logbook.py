"""Generate station_logbook.txt: a winter season of a fictional research station's logbook.

    python resources/examples/make_station_logbook.py [--out PATH] [--answers]

Deterministic (fixed seed, no clock): running it again writes the same bytes. The
logbook hides a few facts with checkable answers (see README.md); --answers prints
them as computed from the generated entries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path

SEED = 20230301
FIRST_DAY = dt.date(2023, 3, 1)
LAST_DAY = dt.date(2023, 10, 31)
COLDEST_DAY = dt.date(2023, 7, 23)
COLDEST_TEMP = -69.4
OTHER_TEMPS_FLOOR = -66.0
OUTAGE_DAY = dt.date(2023, 6, 14)
CRATE_DAY = dt.date(2023, 8, 9)
CONVOY_DAYS = (dt.date(2023, 3, 9), dt.date(2023, 4, 2), dt.date(2023, 4, 27),
               dt.date(2023, 9, 21), dt.date(2023, 10, 18))

CREW = {
    "Ingrid Solberg": "Station leader",
    "Tomás Ferreira": "Power & mechanics",
    "Priya Raman": "Doctor",
    "Kwame Mensah": "Comms & IT",
    "Hannah Vogel": "Meteorologist",
    "Lars Eide": "Cook & logistics",
    "Yuki Tanaka": "Glaciologist",
    "Sean O'Malley": "Field safety",
}
WIND_DIRECTIONS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
SKY = ("Clear skies.", "Thin high cloud.", "Overcast.", "Light snow.", "Drifting snow.",
       "Ice fog near the ground.", "Aurora visible after 22:00.", "Moonlit, no cloud.")
AILMENTS = ("a head cold", "a small cut on the left hand", "a tension headache",
            "mild frostnip on the nose", "a sprained wrist", "trouble sleeping")
CHORES = ("Cleared drift from the east door and the fuel depot path.",
          "Water melter cleaned and descaled.", "Replaced two cracked light tubes in corridor B.",
          "Greased the snow-blower auger.", "Checked the flag line to the science hut; two flags replaced.",
          "Defrosted the walk-in freezer door seal.", "Inspected roof hatch seals; no leaks.",
          "Swept snow from the solar panel frames.")
MEALS = ("reindeer stew", "fish pie", "lentil curry", "pizza night", "pancakes", "pea soup",
         "roast chicken", "dumplings", "chili", "baked salmon")


@dataclass(frozen=True)
class Entry:
    day: dt.date
    time: str  # "HH:MM"
    author: str
    category: str
    text: str

    def render(self) -> str:
        role = CREW[self.author]
        return f"[{self.day.isoformat()} {self.time}] {self.author} ({role}) — {self.category}: {self.text}"


def _season_mean(day: dt.date) -> float:
    """Mean temperature: about -22 °C in March, -52 °C in mid July, -30 °C by late October."""
    import math

    phase = (day - FIRST_DAY).days / (LAST_DAY - FIRST_DAY).days
    return -22.0 - 30.0 * math.sin(math.pi * min(1.0, phase * 1.12)) + 8.0 * max(0.0, phase - 0.85)


def generate_entries(rng: random.Random) -> list[Entry]:
    entries: list[Entry] = []
    diesel = 86_000
    core_depth = 212.0
    day = FIRST_DAY
    while day <= LAST_DAY:
        today: list[Entry] = []

        def add(time: str, author: str, category: str, text: str, today: list[Entry] = today, day: dt.date = day) -> None:
            today.append(Entry(day, time, author, category, text))

        # Weather observations twice a day; the coldest reading of the season is unique.
        for time in ("06:00", "18:00"):
            temp = round(max(OTHER_TEMPS_FLOOR, rng.gauss(_season_mean(day), 5.5)), 1)
            if day == COLDEST_DAY and time == "06:00":
                temp = COLDEST_TEMP
            wind = max(0, int(rng.gauss(18, 12)))
            if rng.random() < 0.035:
                wind = rng.randint(50, 72)
            observer = "Hannah Vogel" if rng.random() < 0.85 else rng.choice(["Yuki Tanaka", "Sean O'Malley"])
            add(time, observer, "WEATHER",
                f"Obs {time}: temp {temp:.1f} °C, wind {wind} kt from {rng.choice(WIND_DIRECTIONS)}, "
                f"visibility {rng.choice([0.2, 0.5, 1, 2, 5, 10, 20, 30])} km, "
                f"pressure {rng.randint(962, 1024)} hPa. {rng.choice(SKY)}")
            if wind >= 50:
                add(_later(time, 15), "Ingrid Solberg", "SAFETY",
                    f"BLIZZARD WARNING issued after the {time} obs (wind {wind} kt). Condition 1: "
                    "no one leaves the main building without the leader's permission.")

        # Power plant: daily round, plus the June outage.
        diesel -= rng.randint(310, 390)
        gen = 1 if (day.toordinal() // 7) % 2 else 2
        round_time = f"{rng.randint(8, 9):02d}:{rng.randint(0, 59):02d}"
        if day != OUTAGE_DAY:
            add(round_time, "Tomás Ferreira", "POWER",
                f"Gen {gen} on duty, load {rng.randint(38, 61)} kW, day tank {rng.randint(700, 980)} L, "
                f"main tank {diesel:,} L. Oil pressure and coolant normal.")
        else:
            add("03:14", "Kwame Mensah", "POWER",
                "Gen 2 tripped on high coolant temperature; Gen 1 failed to auto-start. Station on "
                "battery backup. Woke Tomás.")
            add("09:40", "Tomás Ferreira", "POWER",
                "Power restored: Gen 1 started by hand after swapping a waxed-up fuel filter. "
                "Gen 2 coolant pump impeller found cracked; spare fitted, Gen 2 back on standby.")

        # Deliveries by traverse convoy in the shoulder seasons.
        if day in CONVOY_DAYS:
            litres = rng.randrange(9_000, 16_001, 100)
            diesel += litres
            add(f"{rng.randint(13, 16):02d}:{rng.randint(0, 59):02d}", "Lars Eide", "SUPPLIES",
                f"Traverse convoy arrived from Coastal Base: delivered {litres:,} L diesel, "
                f"{rng.randint(8, 25) / 10:.1f} t food and {rng.randint(2, 9)} bags of mail. "
                f"Main tank now {diesel:,} L.")

        # Comms, every day.
        add(f"{rng.randint(10, 12):02d}:{rng.randint(0, 59):02d}", "Kwame Mensah", "COMMS",
            rng.choice([
                f"Satellite link nominal; {rng.randint(40, 180)} messages out, {rng.randint(60, 240)} in.",
                f"Link degraded for {rng.randint(10, 90)} min around noon (dish iced); cleared it.",
                "Radio schedule with Coastal Base kept; all stations report normal.",
                f"Backed up the science server ({rng.randint(12, 95)} GB).",
            ]))

        # Science, most days.
        if rng.random() < 0.8:
            if rng.random() < 0.5:
                core_depth += round(rng.uniform(0.4, 3.2), 1)
                add(f"{rng.randint(13, 17):02d}:{rng.randint(0, 59):02d}", "Yuki Tanaka", "SCIENCE",
                    f"Ice core drilling: reached {core_depth:.1f} m; section logged and stored at -30 °C.")
            else:
                add(f"{rng.randint(13, 17):02d}:{rng.randint(0, 59):02d}", "Yuki Tanaka", "SCIENCE",
                    rng.choice([
                        f"Ozone sonde launched, burst at {rng.uniform(24, 33):.1f} km.",
                        "Seismometer vault checked; heater working, data logger synced.",
                        f"Snow stake line read: mean accumulation {rng.randint(1, 14)} mm this week.",
                    ]))

        # Kitchen, maintenance, medical, leader.
        if rng.random() < 0.55:
            add(f"{rng.randint(17, 19):02d}:{rng.randint(0, 59):02d}", "Lars Eide", "GALLEY",
                f"Dinner: {rng.choice(MEALS)}. Food stores about {rng.randint(120, 260)} days.")
        if rng.random() < 0.6:
            add(f"{rng.randint(9, 15):02d}:{rng.randint(0, 59):02d}", "Sean O'Malley", "MAINTENANCE",
                rng.choice(CHORES))
        if rng.random() < 0.12:
            patient = rng.choice([name for name in CREW if name != "Priya Raman"])
            add(f"{rng.randint(9, 20):02d}:{rng.randint(0, 59):02d}", "Priya Raman", "MEDICAL",
                f"Saw {patient.split()[0]} for {rng.choice(AILMENTS)}; treated, fit for duty.")
        if day.weekday() == 6:
            add("20:30", "Ingrid Solberg", "LEADER",
                f"Weekly meeting held. Morale {rng.choice(['good', 'good', 'fine', 'high', 'a bit low'])}; "
                f"fire drill {rng.choice(['done', 'done', 'postponed'])}.")
        if day == CRATE_DAY:
            add("14:05", "Sean O'Malley", "MAINTENANCE",
                "Found an unlabelled steel crate half-buried behind fuel depot B, stencilled with serial "
                "KX-4471-M. It is not on any manifest. Moved it to the vehicle garage unopened; Ingrid informed.")

        entries.extend(sorted(today, key=lambda entry: entry.time))
        day += dt.timedelta(days=1)
    return entries


def _later(time: str, minutes: int) -> str:
    hours, mins = map(int, time.split(":"))
    total = hours * 60 + mins + minutes
    return f"{total // 60:02d}:{total % 60:02d}"


def render(entries: list[Entry]) -> str:
    header = (
        "HALVORSEN RESEARCH STATION — OPERATIONS LOGBOOK\n"
        f"Winter season {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}. Crew of {len(CREW)}.\n"
        "Every entry: [date time] author (role) — CATEGORY: text\n"
        "(Fictional; generated by make_station_logbook.py.)\n\n"
    )
    lines = []
    current = None
    for entry in entries:
        if entry.day != current:
            current = entry.day
            lines.append(f"\n=== {entry.day.strftime('%A %d %B %Y')} ===")
        lines.append(entry.render())
    return header + "\n".join(lines).lstrip("\n") + "\n"


def answers(entries: list[Entry]) -> dict[str, object]:
    """The README's answers, computed from the entries."""
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.author] = counts.get(entry.author, 0) + 1
    top, runner_up = sorted(counts, key=counts.__getitem__, reverse=True)[:2]
    assert counts[top] > counts[runner_up], "the most-entries answer must be unique"
    delivered = sum(
        int(entry.text.split("delivered ")[1].split(" L")[0].replace(",", ""))
        for entry in entries if entry.text.startswith("Traverse convoy arrived")
    )
    return {
        "entries": len(entries),
        "blizzard_warning_days": len({e.day for e in entries if e.text.startswith("BLIZZARD WARNING")}),
        "blizzard_warnings": sum(1 for e in entries if e.text.startswith("BLIZZARD WARNING")),
        "lowest_temperature": f"{COLDEST_TEMP} °C on {COLDEST_DAY.isoformat()} (06:00 obs)",
        "diesel_delivered_litres": delivered,
        "convoys": len(CONVOY_DAYS),
        "outage": f"{OUTAGE_DAY.isoformat()} 03:14 to 09:40 (6 h 26 min)",
        "crate": f"{CRATE_DAY.isoformat()}, serial KX-4471-M, behind fuel depot B, found by Sean O'Malley",
        "most_entries": f"{top} ({counts[top]} entries)",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate the station logbook example.")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("station_logbook.txt"))
    parser.add_argument("--answers", action="store_true", help="print the answers as JSON")
    args = parser.parse_args()
    entries = generate_entries(random.Random(SEED))
    args.out.write_text(render(entries), encoding="utf-8", newline="\n")
    if args.answers:
        print(json.dumps(answers(entries), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
