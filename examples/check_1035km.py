"""Does the China–Laos Railway really measure 1,035 km? A walk through corridors' check.

Run it with ``.venv/bin/python examples/check_1035km.py`` after ``make demo``.
"""

from __future__ import annotations

import corridors

# 1. The railway, as embedded: sections, stations, published figures, each with its sources.
#    The geometry is rebuilt from OpenStreetMap: in Laos it is the mapped track, stations at their
#    yards; in China it runs through the OSM station nodes and, where mapped, a reference line.
clr = corridors.load("china-laos-railway")
print(clr)

# 2. Its length on the WGS84 ellipsoid, in km: the main line from Kunming South to Vientiane,
#    then each section with the accuracy of its geometry (traced OSM track, or approximate).
total = corridors.length_km(clr)
print(f"main line: {total:,.1f} km (published: 1,035 km)")
for row, km in zip(clr.sections.itertuples(), corridors.length_km(clr.sections), strict=True):
    print(f"  section {row.id}: {km:,.1f} km, {row.role}, {row.accuracy} ±{row.error_km:g} km")

# 3. How much lies in each country, cut at the Natural Earth border.
pieces = corridors.split_by_country(clr)
for iso3, km in pieces.groupby("iso3")["length_km"].sum().items():
    print(f"  {iso3}: {km:,.1f} km")

# 4. Where it crosses the border, and the nearest official border gate.
for row in corridors.border_crossings(clr).itertuples():
    print(
        f"crosses {row.from_iso3} → {row.to_iso3} at km {row.chainage_km:,.1f} "
        f"({row.geometry.y:.4f} N, {row.geometry.x:.4f} E), "
        f"{row.gate_distance_km:.1f} km from the {row.gate_name} gate"
    )

# 5. Distances between stations along the line.
print(
    f"Luang Prabang → Vientiane: {corridors.distance_km(clr, 'Luang Prabang', 'Vientiane'):,.1f} km"
)

# 6. Every published figure against the geometry, the figures against each other, and at the
#    end what still differs and why (how short the geometry can be, which figures measure more).
report = corridors.check(clr)
print()
print(report)

# The same as a DataFrame, for your own analysis:
table = report.table[["scope", "published_km", "measured_km", "diff_km", "verdict", "source"]]
print(table.head(8).to_string(index=False))
