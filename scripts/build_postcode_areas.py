"""Build app/static/data/postcode_areas.{csv,json} from Wikipedia's postcode district polygons.

Run once by hand when the source changes (not at run time):
    pip install shapely
    git clone https://github.com/missinglink/uk-postcode-polygons /tmp/polygons
    python scripts/build_postcode_areas.py /tmp/polygons/geojson

The source (see app/static/data/README.md) has one GeoJSON file per postcode area holding its
districts' polygons. For each area this merges the districts, keeps the centroid (CSV) and a
simplified outline (JSON, longitude/latitude rounded to 0.001 degree).
"""
import csv
import json
import sys
from pathlib import Path

from shapely.geometry import shape
from shapely.ops import unary_union

OUT = Path(__file__).resolve().parent.parent / "app" / "static" / "data"
TOLERANCE = 0.02  # degrees: about 1-2 km, invisible at the size the map is drawn
MIN_AREA = 0.002  # square degrees: smaller islands are dropped from the outline (not the centroid)
# Area names: the post towns (or London districts) of Wikipedia's "List of postcode areas in the UK".
NAMES = {
    "AB": "Aberdeen", "AL": "St Albans", "B": "Birmingham", "BA": "Bath", "BB": "Blackburn",
    "BD": "Bradford", "BH": "Bournemouth", "BL": "Bolton", "BN": "Brighton", "BR": "Bromley",
    "BS": "Bristol", "BT": "Belfast", "CA": "Carlisle", "CB": "Cambridge", "CF": "Cardiff",
    "CH": "Chester", "CM": "Chelmsford", "CO": "Colchester", "CR": "Croydon", "CT": "Canterbury",
    "CV": "Coventry", "CW": "Crewe", "DA": "Dartford", "DD": "Dundee", "DE": "Derby",
    "DG": "Dumfries", "DH": "Durham", "DL": "Darlington", "DN": "Doncaster", "DT": "Dorchester",
    "DY": "Dudley", "E": "East London", "EC": "East Central London", "EH": "Edinburgh",
    "EN": "Enfield", "EX": "Exeter", "FK": "Falkirk", "FY": "Blackpool", "G": "Glasgow",
    "GL": "Gloucester", "GU": "Guildford", "GY": "Guernsey", "HA": "Harrow", "HD": "Huddersfield",
    "HG": "Harrogate", "HP": "Hemel Hempstead", "HR": "Hereford", "HS": "Outer Hebrides",
    "HU": "Hull", "HX": "Halifax", "IG": "Ilford", "IM": "Isle of Man", "IP": "Ipswich",
    "IV": "Inverness", "JE": "Jersey", "KA": "Kilmarnock", "KT": "Kingston upon Thames",
    "KW": "Kirkwall", "KY": "Kirkcaldy", "L": "Liverpool", "LA": "Lancaster",
    "LD": "Llandrindod Wells", "LE": "Leicester", "LL": "Llandudno", "LN": "Lincoln",
    "LS": "Leeds", "LU": "Luton", "M": "Manchester", "ME": "Rochester", "MK": "Milton Keynes",
    "ML": "Motherwell", "N": "North London", "NE": "Newcastle upon Tyne", "NG": "Nottingham",
    "NN": "Northampton", "NP": "Newport", "NR": "Norwich", "NW": "North West London",
    "OL": "Oldham", "OX": "Oxford", "PA": "Paisley", "PE": "Peterborough", "PH": "Perth",
    "PL": "Plymouth", "PO": "Portsmouth", "PR": "Preston", "RG": "Reading", "RH": "Redhill",
    "RM": "Romford", "S": "Sheffield", "SA": "Swansea", "SE": "South East London",
    "SG": "Stevenage", "SK": "Stockport", "SL": "Slough", "SM": "Sutton", "SN": "Swindon",
    "SO": "Southampton", "SP": "Salisbury", "SR": "Sunderland", "SS": "Southend-on-Sea",
    "ST": "Stoke-on-Trent", "SW": "South West London", "SY": "Shrewsbury", "TA": "Taunton",
    "TD": "Galashiels", "TF": "Telford", "TN": "Tonbridge", "TQ": "Torquay", "TR": "Truro",
    "TS": "Cleveland", "TW": "Twickenham", "UB": "Southall", "W": "West London",
    "WA": "Warrington", "WC": "West Central London", "WD": "Watford", "WF": "Wakefield",
    "WN": "Wigan", "WR": "Worcester", "WS": "Walsall", "WV": "Wolverhampton", "YO": "York",
    "ZE": "Lerwick",
}


def area_shape(path: Path):
    """The union of an area's district polygons."""
    features = json.loads(path.read_text())["features"]
    return unary_union([shape(f["geometry"]).buffer(0) for f in features if f["geometry"]])


def outline(geometry) -> list[list[list[float]]]:
    """The simplified outer rings of the geometry's larger parts, as [[lon, lat], ...]."""
    parts = getattr(geometry, "geoms", [geometry])
    rings = []
    for part in parts:
        if part.geom_type != "Polygon" or part.area < MIN_AREA:
            continue
        ring = part.simplify(TOLERANCE, preserve_topology=True).exterior
        rings.append([[round(x, 3), round(y, 3)] for x, y in ring.coords])
    return rings


def main(source: Path) -> None:
    """Write the centroids CSV and the outlines JSON."""
    rows, outlines = [], {}
    for path in sorted(source.glob("*.geojson")):
        code = path.stem
        geometry = area_shape(path)
        centre = geometry.centroid
        rows.append((code, NAMES[code], round(centre.y, 4), round(centre.x, 4)))
        outlines[code] = outline(geometry)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "postcode_areas.csv", "w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("area", "name", "latitude", "longitude"))
        writer.writerows(rows)
    (OUT / "postcode_areas.json").write_text(json.dumps(outlines, separators=(",", ":")) + "\n")
    print(f"{len(rows)} areas, {sum(len(r) for r in outlines.values())} outline rings", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
