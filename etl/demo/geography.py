"""The demo's geography: a generated fictional town (or real ward polygons) with
roads and named places, the gazetteer that location texts refer to.

Everything metric happens in a local equirectangular projection centred on the
study area: over a town (or a county) its distortion is far below the few metres
of GPS jitter the demo plants, and it is pure numpy, so the same seed gives the
same coordinates on every machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon

from geodata.errors import ObservatoryError

TOWN_LABEL = "Demo town (fictional)"
TOWN_ATTRIBUTION = "Demo town: generated, fictional"
# North-east of Nairobi, clear of it, inside Kenya.
TOWN_LAT, TOWN_LON = -0.80, 36.95
TOWN_RADIUS_M = 4_800.0
M_PER_DEG = 111_320.0

WARD_NAMES = (
    "Mjini",
    "Mlimani",
    "Bondeni",
    "Majengo",
    "Kisima",
    "Tumaini",
    "Mwangaza",
    "Baraka",
    "Mkomboni",
    "Neema",
    "Jua Kali",
    "Kilele",
)
ESTATE_NAMES = (
    "Bahati",
    "Canaan",
    "Kwa Ndege",
    "Pipeline",
    "Site and Service",
    "Shauri Yako",
    "Soweto",
    "Kanisani",
    "Madaraka",
    "Phase Two",
    "Mawingu",
    "Green Park",
)
VILLAGE_NAMES = ("Mnazi", "Kiambogo", "Gitwe", "Kwa Mutua", "Ndururi", "Mukuyu")
BAR_NAMES = (
    "Tropicana Bar",
    "Blue Moon Bar",
    "Starlight Club",
    "Kwetu Bar",
    "Sunrise Bar and Restaurant",
    "Jikoni Pub",
    "Silver Spoon Lounge",
    "Kona Bar",
    "Mwisho wa Reli Bar",
)
CHURCH_NAMES = (
    "St. Joseph Catholic Church",
    "PCEA Mjini Church",
    "AIC Bethel Church",
    "Redeemed Gospel Church",
    "ACK St. Peter's Church",
)
KINDS = (
    "landmark",
    "estate",
    "village",
    "stage",
    "market",
    "school",
    "bar",
    "church",
    "health",
    "police",
)
# Roads as (name, from bearing, to bearing, fraction of the radius at each end);
# bearings in degrees clockwise from north, ends outside the boundary are clipped.
_ROADS = (
    ("Main Highway", 262.0, 82.0, 1.3, 1.3),
    ("Station Road", 352.0, 172.0, 1.3, 1.3),
    ("Market Road", 45.0, 45.0, 0.05, 1.3),
    ("Mission Road", 220.0, 220.0, 0.1, 1.3),
    ("Hospital Road", 120.0, 130.0, 0.35, 1.3),
    ("Back Street", 300.0, 300.0, 0.1, 0.9),
)


@dataclass(frozen=True)
class LocalProjection:
    """Metres east/north of (lat0, lon0): x = east, y = north."""

    lat0: float
    lon0: float

    @property
    def _kx(self) -> float:
        return M_PER_DEG * math.cos(math.radians(self.lat0))

    def to_xy(self, lat, lon) -> tuple[np.ndarray, np.ndarray]:
        lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
        return (lon - self.lon0) * self._kx, (lat - self.lat0) * M_PER_DEG

    def to_latlon(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        return self.lat0 + y / M_PER_DEG, self.lon0 + x / self._kx

    def geom_to_xy(self, geom):
        def fn(coords: np.ndarray) -> np.ndarray:
            x, y = self.to_xy(coords[:, 1], coords[:, 0])
            return np.column_stack([x, y])

        return shapely.transform(geom, fn)

    def geom_to_lonlat(self, geom):
        def fn(coords: np.ndarray) -> np.ndarray:
            lat, lon = self.to_latlon(coords[:, 0], coords[:, 1])
            return np.column_stack([np.round(lon, 6), np.round(lat, 6)])

        return shapely.transform(geom, fn)


@dataclass(frozen=True)
class Place:
    name: str
    kind: str
    aliases: tuple[str, ...]
    x: float
    y: float
    ward_code: str


@dataclass
class Geography:
    """Wards (EPSG:4326 frame for the loader), their metric shapes and the places."""

    wards: gpd.GeoDataFrame  # code, name, county, constituency, population, geometry
    ward_xy: list[Polygon]  # metric shapes, in the order of `wards`
    weights: np.ndarray  # background weight per ward (population, real or generated)
    projection: LocalProjection
    label: str
    attribution: str
    generated: bool
    roads: list[tuple[str, LineString]] = field(default_factory=list)  # metric
    places: list[Place] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return list(self.wards["code"])

    @property
    def names(self) -> list[str]:
        return list(self.wards["name"])

    def ward_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Ward code per metric point ('' outside every ward)."""
        out = np.full(len(x), "", dtype=object)
        for code, poly in zip(self.codes, self.ward_xy, strict=True):
            inside = shapely.contains_xy(poly, x, y) & (out == "")
            out[inside] = code
        return out

    def place(self, name: str) -> Place:
        return next(p for p in self.places if p.name == name)


def sample_in_polygon(rng: np.random.Generator, poly, n: int) -> np.ndarray:
    """n uniform points inside a metric polygon, by rejection from its bounds."""
    minx, miny, maxx, maxy = poly.bounds
    found: list[np.ndarray] = []
    count = 0
    while count < n:
        xs = rng.uniform(minx, maxx, 4 * n + 16)
        ys = rng.uniform(miny, maxy, 4 * n + 16)
        keep = shapely.contains_xy(poly, xs, ys)
        found.append(np.column_stack([xs[keep], ys[keep]]))
        count += int(keep.sum())
    return np.concatenate(found)[:n]


def _town_boundary(rng: np.random.Generator) -> Polygon:
    theta = np.linspace(0, 2 * np.pi, 97)[:-1]
    radius = np.full_like(theta, TOWN_RADIUS_M)
    for k, amp in ((1, 0.10), (2, 0.08), (3, 0.05)):
        radius *= 1 + amp * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    return Polygon(np.column_stack([radius * np.sin(theta), radius * np.cos(theta)]))


def _voronoi_cells(points: np.ndarray, boundary: Polygon) -> list[Polygon]:
    """Voronoi cells of points clipped to the boundary, in the order of the points."""
    diagram = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=boundary.buffer(5_000))
    cells = list(shapely.get_parts(diagram))
    ordered = []
    for px, py in points:
        cell = next(c for c in cells if c.contains(Point(px, py)))
        ordered.append(cell.intersection(boundary))
    return ordered


def _ward_cells(rng: np.random.Generator, boundary: Polygon, n: int) -> list[Polygon]:
    points = sample_in_polygon(rng, boundary, n)
    for _ in range(8):  # Lloyd relaxation: even, town-like ward sizes
        cells = _voronoi_cells(points, boundary)
        points = np.array([[c.centroid.x, c.centroid.y] for c in cells])
    cells = _voronoi_cells(points, boundary)
    # Central ward first (the town centre), then clockwise from north.
    dist = np.hypot(points[:, 0], points[:, 1])
    centre = int(np.argmin(dist))
    bearing = np.degrees(np.arctan2(points[:, 0], points[:, 1])) % 360
    rest = sorted((i for i in range(n) if i != centre), key=lambda i: bearing[i])
    return [cells[i] for i in [centre, *rest]]


def _road(rng: np.random.Generator, spec: tuple, boundary: Polygon) -> LineString:
    _, b0, b1, f0, f1 = spec
    r = TOWN_RADIUS_M
    a0, a1 = math.radians(b0), math.radians(b1)
    start = np.array([f0 * r * math.sin(a0), f0 * r * math.cos(a0)])
    end = np.array([f1 * r * math.sin(a1), f1 * r * math.cos(a1)])
    t = np.linspace(0, 1, 12)[:, None]
    line = start + t * (end - start)
    normal = np.array([-(end - start)[1], (end - start)[0]])
    normal /= np.linalg.norm(normal)
    wiggle = np.cumsum(rng.normal(0, 70, len(t)))
    wiggle -= np.linspace(wiggle[0], wiggle[-1], len(t))  # keep the ends in place
    line = line + wiggle[:, None] * normal
    clipped = LineString(line).intersection(boundary)
    parts = sorted(shapely.get_parts(clipped), key=lambda g: -g.length)
    return parts[0]


def generated_town(rng: np.random.Generator) -> Geography:
    """About a dozen Voronoi wards in an irregular town boundary, roads and places."""
    projection = LocalProjection(TOWN_LAT, TOWN_LON)
    boundary = _town_boundary(rng)
    cells = _ward_cells(rng, boundary, len(WARD_NAMES))
    population = np.round(rng.uniform(15_000, 60_000, len(cells)), -2).astype(int)
    population[0] = max(population[0], 55_000)  # the town centre is the densest
    codes = [f"DEMO{i + 1:02d}" for i in range(len(cells))]
    wards = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": list(WARD_NAMES),
            "county": TOWN_LABEL,
            "constituency": ["Demo East" if c.centroid.x >= 0 else "Demo West" for c in cells],
            "population": population,
        },
        geometry=[shapely.MultiPolygon([projection.geom_to_lonlat(c)]) for c in cells],
        crs="EPSG:4326",
    )
    roads = [(spec[0], _road(rng, spec, boundary)) for spec in _ROADS]
    geo = Geography(
        wards=wards,
        ward_xy=cells,
        weights=population.astype(float),
        projection=projection,
        label=TOWN_LABEL,
        attribution=TOWN_ATTRIBUTION,
        generated=True,
        roads=roads,
    )
    from etl.demo.places import town_places

    geo.places = town_places(rng, geo)
    return geo


def _field(frame: gpd.GeoDataFrame, *names: str) -> str | None:
    lower = {c.lower(): c for c in frame.columns}
    return next((lower[n] for n in names if n in lower), None)


def read_real_wards(path: Path, county: str | None) -> gpd.GeoDataFrame:
    """Wards from a boundary file (the shared Kenya file's fields or code/name)."""
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
        raise ObservatoryError(f"{path}: cannot read ward boundaries ({exc}).") from exc
    code = _field(frame, "wardcode", "code", "ward_code")
    name = _field(frame, "ward", "name", "ward_name")
    if not code or not name:
        raise ObservatoryError(
            f"{path}: needs a ward code field (wardcode or code) and a name field (ward or "
            f"name); found {', '.join(map(str, frame.columns))}."
        )
    county_field = _field(frame, "county", "county_name")
    const_field = _field(frame, "const", "constituency", "subcounty")
    if county:
        if not county_field:
            raise ObservatoryError(f"{path}: --county given but the file has no county field.")
        frame = frame[frame[county_field].str.lower() == county.strip().lower()]
        if frame.empty:
            raise ObservatoryError(
                f"{path}: no wards in county {county!r}; check the spelling (e.g. Nairobi)."
            )
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    out = gpd.GeoDataFrame(
        {
            "code": frame[code].astype(str).to_numpy(),
            "name": frame[name].astype(str).to_numpy(),
            "county": frame[county_field].to_numpy() if county_field else None,
            "constituency": frame[const_field].to_numpy() if const_field else None,
            "population": None,
        },
        geometry=frame.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    return out.sort_values("code", kind="stable").reset_index(drop=True)


def real_wards(rng: np.random.Generator, path: Path, county: str | None) -> Geography:
    """Real ward polygons; the model's background weights are generated (and said so)."""
    wards = read_real_wards(path, county)
    centre = shapely.union_all(wards.geometry.to_numpy()).centroid
    projection = LocalProjection(round(centre.y, 4), round(centre.x, 4))
    ward_xy = [projection.geom_to_xy(shapely.make_valid(g)) for g in wards.geometry]
    where = ", ".join(sorted({str(c) for c in wards["county"].dropna()})[:3]) or path.stem
    label = f"Demo on real wards: {where} (incidents fictional)"
    geo = Geography(
        wards=wards,
        ward_xy=ward_xy,
        weights=np.round(rng.uniform(15_000, 60_000, len(wards)), -2),
        projection=projection,
        label=label,
        attribution=(
            "Kenya County Assembly Boundaries, Omare B.D.A. and Omare G.J.M, 2017, CC BY 4.0"
            if path.stem == "kenya_wards"
            else f"Ward boundaries from {path.name}"
        ),
        generated=False,
    )
    from etl.demo.places import ward_places

    geo.places = ward_places(rng, geo)
    return geo
