"""Module-level settings, read at call time.

Change them by assignment, e.g. ``corridors.settings.station_snap_km = 3.0``; every function
reads them when it is called. This module owns every tolerance and snap distance of the package.

data_dir : str | pathlib.Path | None
    Folder to read the geodata from (a ``corridors/`` folder of corridor files, and the shared
    layers) instead of the embedded ``corridors/geodata``. ``None`` reads the embedded data.
    Default is ``None``.
ellipsoid : str
    Name of the PROJ ellipsoid that every length and distance is measured on.
    Default is ``'WGS84'``.
join_tolerance_deg : float
    Largest gap, in degrees of longitude/latitude, between the end of one main section and the
    start of the next for the two to join into one main line. The schema refuses a corridor
    file whose main sections are further apart, and ``Corridor`` joins main sections that are
    within it, so a file that validates always has one continuous main line.
    Default is ``1e-06``.
station_snap_km : float
    Largest distance, in km, between a station and the main line for its chainage and the
    distances along the line to be measured: :func:`corridors.distance_km` raises
    :class:`corridors.GeometryError` for a station farther away, and :func:`corridors.check`
    reports its figures as not measurable. Default is ``2.0``.
speeds_kph : dict[str, float]
    Average running speed, km/h, by mode (``rail``, ``road``, ``access``, ``transfer``), used for
    the ``travel_time`` of the edges :func:`corridors.network.build` makes.
    Default is ``{'rail': 100.0, 'road': 80.0, 'access': 40.0, 'transfer': 20.0}``.
transfer_minutes : float
    Minutes to change between corridors or modes (transshipment at a dry port, change of train).
    Default is ``60.0``.
border_minutes : float
    Minutes of border formalities added to every network edge that crosses an international
    border. Default is ``120.0``.
interchange_km : float
    Nodes of different corridors closer than this, in km, are joined by a transfer edge.
    Default is ``1.0``.
access_km : float
    Dry ports, seaports and border gates are joined to corridor nodes within this distance, in
    km. Default is ``10.0``.
osm_station_km : float
    Largest distance, in km, between an OpenStreetMap station node and the line for
    :func:`corridors.osm.corridor_from_osm` to take it as a station of the line.
    Default is ``1.0``.
node_snap_km : float
    Largest distance, in km, between a station and a section of its corridor for
    :func:`corridors.network.build` to make the station a node on that section; a station this
    close to a section's end stands for the end (no junction node is made there).
    Default is ``0.5``.
max_snap_km : float
    Largest distance, in km, from a ``(lon, lat)`` place to the nearest network node for
    :func:`corridors.route` to start or end there: a point farther from every node is refused
    with :class:`corridors.NoRouteError` naming the distance. The nodes within ``access_km`` (and
    the nearest) are the candidate starts or ends, each reached by a straight access leg at
    ``speeds_kph['access']``. 25 km is two and a half times ``access_km`` (the reach of the
    network's own access links to ports and gates) and about 40 minutes at the access speed:
    farther, the unmodelled trip to the network would be a large part of the route.
    Default is ``25.0``.

Examples
--------
>>> import corridors
>>> corridors.settings.station_snap_km
2.0
"""

from __future__ import annotations

from pathlib import Path

data_dir: str | Path | None = None
ellipsoid: str = "WGS84"
join_tolerance_deg: float = 1e-6
station_snap_km: float = 2.0

# -- networks (corridors.network, corridors.route) ---------------------------------------------
#: Average running speed by mode, km/h, used for ``travel_time`` on corridor edges.
speeds_kph: dict[str, float] = {"rail": 100.0, "road": 80.0, "access": 40.0, "transfer": 20.0}
#: Minutes to change between corridors or modes (transshipment at a dry port, change of train).
transfer_minutes: float = 60.0
#: Minutes of border formalities added to every edge that crosses an international border.
border_minutes: float = 120.0
#: Nodes of different corridors closer than this (km) are joined by a transfer edge.
interchange_km: float = 1.0
#: Dry ports, seaports and border gates are joined to corridor nodes within this distance (km).
access_km: float = 10.0
#: A station within this distance (km) of a section is a network node on it (its end if that near).
node_snap_km: float = 0.5
#: A (lon, lat) place farther than this (km) from every network node is refused by ``route``.
max_snap_km: float = 25.0
#: OSM station nodes within this distance (km) of a line read from OSM are its stations.
osm_station_km: float = 1.0
