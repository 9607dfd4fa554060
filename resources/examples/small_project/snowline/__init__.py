"""Snowline: read a weather mast's sensors and send the readings over a satellite uplink."""
