"""Turn raw sensor values into physical units."""

from __future__ import annotations

import math

STALL_SPEED_M_S = 0.3
METRES_PER_PULSE = 0.765


def fahrenheit_to_celsius(fahrenheit: float) -> float:
    """The TP-40 probe reports Fahrenheit."""
    return (fahrenheit - 32) * 9 / 5


def wind_speed(pulses_per_second: float) -> float:
    speed = pulses_per_second * METRES_PER_PULSE
    return 0.0 if speed < STALL_SPEED_M_S else speed


def speed_of_sound(celsius: float) -> float:
    return 331.3 * math.sqrt(1 + celsius / 273.15)


def snow_depth(echo_seconds: float, celsius: float, ranger_height_m: float) -> float:
    distance = speed_of_sound(celsius) * echo_seconds / 2
    return max(0.0, ranger_height_m - distance)
