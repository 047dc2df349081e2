"""Write the vendored LL2 2.3.0 schema and the LL2 test fixtures from the reference material in ../shared.

Run from the project root: ``python tests/vendor/make_ll2_spec.py [path/to/shared/ll2]``.

It writes

* ``tests/vendor/ll2/openapi-2.3.0-trimmed.json``: the paths the bot calls and every component they reach,
  plus three non-polymorphic list schemas (``PaginatedLaunchNormalList``, ``PaginatedEventEndpointNormalList``,
  ``PaginatedDockingEventEndpointNormalList``). The document's list schemas are ``oneOf`` list/normal/detailed
  variants that a plain JSON Schema validator cannot tell apart (a detailed object is also a valid normal one),
  so fixtures are checked against the ``mode=normal`` variant the bot asks for.
* ``tests/data/ll2/{launches,events,docking_events}.json`` (2.3.0 list responses, the layout
  ``python -m bot sync --once --from DIR`` reads) and ``launch_detail_*.json``.

Nullability corrections (``NULLABLE_FIXES``): the 2.3.0 document marks some docking-event fields required and
non-null that the live API returns as null (the unused chaser/target slots, ``docking_location.spacecraft`` and
``payload``, ``flight_vehicle_chaser.landing``/``duration``/``turn_around_time``); the 2.4.0 schema marks them
nullable. The trimmed copy carries them as ``nullable: true`` and lists them in ``info.x-tminus-corrections``.

The fixtures are built from the real samples: the Progress MS-15 cargo mission (launch, docking event 111,
docking 239) and the crewed Dragon "Resilience" of Crew-1 (launch, docking event 187, docking 242), with
2.1.0 field names converted to 2.3.0. Values the samples do not have (net_precision, status ids as of the
fixture date, webcast ``start_time``s, image objects, pad time zones) are synthetic and marked ``SYNTHETIC``.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "ll2"
SPEC_OUT = HERE / "ll2" / "openapi-2.3.0-trimmed.json"
DATA_OUT = ROOT / "tests" / "data" / "ll2"
BASE = "https://ll.thespacedevs.com/2.3.0"

PATHS = (
    "/2.3.0/launches/upcoming/",
    "/2.3.0/launches/{id}/",
    "/2.3.0/events/upcoming/",
    "/2.3.0/docking_events/",
    "/2.3.0/api-throttle/",
)
# (schema, property) pairs the live API returns as null although 2.3.0 says otherwise (see module docstring).
NULLABLE_FIXES: tuple[tuple[str, str], ...] = (
    *(
        (schema, prop)
        for schema in ("DockingEventEndpointNormal", "DockingEventEndpointDetailed")
        for prop in (
            "flight_vehicle_target",
            "payload_flight_target",
            "flight_vehicle_chaser",
            "space_station_chaser",
            "payload_flight_chaser",
            "space_station_target",
        )
    ),
    ("DockingLocation", "spacecraft"),
    ("DockingLocation", "payload"),
    ("DockingLocation", "spacestation"),
    ("SpacecraftFlightMini", "landing"),
    ("SpacecraftFlightMini", "duration"),
    ("SpacecraftFlightMini", "turn_around_time"),
)
REF = "#/components/schemas/"


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith(REF):
                found.add(ref.removeprefix(REF))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _paginated(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["count", "results"],
        "properties": {
            "count": {"type": "integer"},
            "next": {"type": "string", "nullable": True, "format": "uri"},
            "previous": {"type": "string", "nullable": True, "format": "uri"},
            "results": {"type": "array", "items": {"$ref": REF + item}},
        },
    }


def trim(spec: dict[str, Any]) -> dict[str, Any]:
    """Only PATHS, the components they reach, the corrections and the normal-mode list schemas."""
    paths = {p: {"get": spec["paths"][p]["get"]} for p in PATHS}
    schemas: dict[str, Any] = {
        "PaginatedLaunchNormalList": _paginated("LaunchNormal"),
        "PaginatedEventEndpointNormalList": _paginated("EventEndpointNormal"),
        "PaginatedDockingEventEndpointNormalList": _paginated("DockingEventEndpointNormal"),
    }
    pending = _refs(paths) | _refs(schemas)
    while pending:
        name = pending.pop()
        if name in schemas:
            continue
        schemas[name] = copy.deepcopy(spec["components"]["schemas"][name])
        pending |= _refs(schemas[name]) - set(schemas)
    for schema, prop in NULLABLE_FIXES:
        if schema in schemas:
            node = schemas[schema]["properties"][prop]
            if "$ref" in node:
                # OpenAPI 3.0 ignores siblings of $ref, so a nullable reference must be wrapped in allOf.
                schemas[schema]["properties"][prop] = {"allOf": [node], "nullable": True}
            else:
                node["nullable"] = True
    info = dict(spec["info"])
    info["description"] = "Trimmed by tests/vendor/make_ll2_spec.py; see tests/vendor/ll2/README.md."
    info["x-tminus-corrections"] = [f"{s}.{p} nullable" for s, p in NULLABLE_FIXES]
    return {
        "openapi": spec["openapi"],
        "info": info,
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


# ---------------------------------------------------------------------------------------------------------
# Fixtures


def _image(image_id: int, name: str, url: str | None) -> dict[str, Any] | None:
    if not url:
        return None
    return {
        "id": image_id,
        "name": name,
        "image_url": url,
        "thumbnail_url": url,
        "credit": None,
        "license": {"id": 1, "name": "Unknown", "priority": 9, "link": None},
        "single_use": True,
        "variants": [],
    }


PRECISIONS = {
    "MIN": {"id": 1, "name": "Minute", "abbrev": "MIN", "description": "The T-0 is accurate to the minute."},
    "DAY": {"id": 5, "name": "Day", "abbrev": "DAY", "description": "The T-0 is accurate to the day."},
    "M": {"id": 7, "name": "Month", "abbrev": "M", "description": "The T-0 is accurate to the month."},
}
STATUSES = {
    1: {"id": 1, "name": "Go for Launch", "abbrev": "Go", "description": "Current T-0 confirmed by official sources."},
    2: {
        "id": 2,
        "name": "To Be Determined",
        "abbrev": "TBD",
        "description": "Current T-0 is a best estimate, not confirmed.",
    },
    3: {
        "id": 3,
        "name": "Launch Successful",
        "abbrev": "Success",
        "description": "The launch vehicle successfully inserted its payload(s) into the target orbit(s).",
    },
}
EARTH = {"response_mode": "normal", "id": 1, "name": "Earth"}
LANGUAGE_EN = {"id": 1, "name": "English", "code": "en"}
VID_OFFICIAL = {"id": 1, "name": "Official Webcast"}


def _agency(raw: dict[str, Any], abbrev: str) -> dict[str, Any]:
    return {
        "response_mode": "mini",
        "id": raw["id"],
        "url": raw["url"].replace("/2.1.0/", "/2.3.0/"),
        "name": raw["name"],
        "abbrev": abbrev,
        "type": {"id": 1 if raw["type"] == "Government" else 3, "name": raw["type"]},
    }


def _launch(raw: dict[str, Any], *, status: int, net: str, precision: str, abbrev: str, tz: str | None) -> Any:
    """A 2.3.0 LaunchNormal from a 2.1.0 launch object (as embedded in a 2.1.0 event)."""
    pad = raw["pad"]
    loc = pad["location"]
    config = raw["rocket"]["configuration"]
    location = {
        "response_mode": "normal",
        "id": loc["id"],
        "url": loc["url"].replace("/2.1.0/location/", "/2.3.0/locations/"),
        "name": loc["name"],
        "celestial_body": EARTH | {"response_mode": "normal"},
        "active": True,
        "country": None,
        "description": None,
        "image": None,
        "map_image": loc["map_image"],
        "longitude": float(pad["longitude"]),
        "latitude": float(pad["latitude"]),
        "total_launch_count": loc["total_launch_count"],
        "total_landing_count": loc["total_landing_count"],
    }
    if tz is not None:
        location["timezone_name"] = tz  # SYNTHETIC: 2.1.0 locations had no time zone
    # CelestialBodyDetailed wants more than the mini form; keep the fields the schema requires.
    location["celestial_body"] = {
        "response_mode": "normal",
        "id": 1,
        "name": "Earth",
        "type": {"id": 1, "name": "Planet"},
        "image": _image(1, "Earth", "https://example.invalid/earth.jpg"),
    }
    return {
        "id": raw["id"],
        "url": f"{BASE}/launches/{raw['id']}/",
        "name": raw["name"],
        "response_mode": "normal",
        "slug": raw["slug"],
        "launch_designator": None,
        "status": STATUSES[status],  # SYNTHETIC: the status the launch had on the fixture date
        "last_updated": "2020-07-20T10:00:00Z",
        "net": net,
        "net_precision": PRECISIONS[precision],  # SYNTHETIC: 2.1.0 had tbdtime/tbddate instead
        "window_end": net,
        "window_start": net,
        "image": _image(9000 + raw["mission"]["id"], f"{raw['name']} image", raw["image"]),
        "infographic": raw["infographic"],
        "probability": raw["probability"] if raw["probability"] != -1 else None,
        "weather_concerns": None,
        "failreason": raw["failreason"] or None,
        "hashtag": raw["hashtag"],
        "launch_service_provider": _agency(raw["launch_service_provider"], abbrev),
        "rocket": {
            "id": raw["rocket"]["id"],
            "configuration": {
                "response_mode": "list",
                "id": config["id"],
                "url": config["url"].replace("/2.1.0/config/launcher/", "/2.3.0/launcher_configurations/"),
                "name": config["name"],
                "families": [{"response_mode": "mini", "id": 1, "name": config["family"]}],
                "full_name": config["full_name"],
                "variant": config["variant"],
            },
        },
        "mission": {
            "id": raw["mission"]["id"],
            "name": raw["mission"]["name"],
            "type": raw["mission"]["type"],
            "description": raw["mission"]["description"],
            "image": None,
            "orbit": {
                "id": raw["mission"]["orbit"]["id"],
                "name": raw["mission"]["orbit"]["name"],
                "abbrev": raw["mission"]["orbit"]["abbrev"],
                "celestial_body": EARTH,
            },
            "agencies": [],
            "info_urls": [],
            "vid_urls": [],
        },
        "pad": {
            "id": pad["id"],
            "url": pad["url"].replace("/2.1.0/", "/2.3.0/").replace("/pad/", "/pads/"),
            "active": True,
            "agencies": [],
            "name": pad["name"],
            "image": None,
            "description": None,
            "info_url": pad["info_url"],
            "wiki_url": pad["wiki_url"] or None,
            "map_url": pad["map_url"],
            "latitude": float(pad["latitude"]),
            "longitude": float(pad["longitude"]),
            "country": None,
            "map_image": pad["map_image"],
            "total_launch_count": pad["total_launch_count"],
            "orbital_launch_attempt_count": pad["total_launch_count"],
            "fastest_turnaround": None,
            "location": location,
        },
        "webcast_live": False,
        "program": [],
        "orbital_launch_attempt_count": None,
        "location_launch_attempt_count": None,
        "pad_launch_attempt_count": None,
        "agency_launch_attempt_count": None,
        "orbital_launch_attempt_count_year": None,
        "location_launch_attempt_count_year": None,
        "pad_launch_attempt_count_year": None,
        "agency_launch_attempt_count_year": None,
    }


def _vid(url: str, priority: int, start_time: str | None, title: str) -> dict[str, Any]:
    return {
        "priority": priority,
        "source": "youtube.com",
        "publisher": None,
        "title": title,
        "description": None,
        "feature_image": None,
        "url": url,
        "type": VID_OFFICIAL,
        "language": LANGUAGE_EN,
        "start_time": start_time,
        "end_time": None,
        "live": False,
    }


def _event(raw: dict[str, Any], *, precision: str, start_time: str | None) -> dict[str, Any]:
    """A 2.3.0 EventEndpointNormal from a 2.1.0 event (flat video_url/feature_image become objects)."""
    vid = [_vid(raw["video_url"], 10, start_time, raw["name"])] if raw["video_url"] else []
    return {
        "id": raw["id"],
        "url": f"{BASE}/events/{raw['id']}/",
        "name": raw["name"],
        "info_urls": [],
        "vid_urls": vid,
        "image": _image(8000 + raw["id"], f"{raw['name']} image", raw["feature_image"]),
        "date": raw["date"],
        "slug": raw["slug"],
        "type": raw["type"],
        "description": raw["description"],
        "webcast_live": False,
        "location": raw["location"],
        "date_precision": PRECISIONS[precision],  # SYNTHETIC: 2.1.0 events had no precision
        "response_mode": "normal",
        "duration": None,
        "updates": [],
        "last_updated": "2020-07-20T10:00:00Z",
    }


ISS = {"id": 4, "url": f"{BASE}/space_stations/4/", "name": "International Space Station", "image": None}


def _docking(raw: dict[str, Any], launch_name: str) -> dict[str, Any]:
    """A 2.3.0 DockingEventEndpointNormal from a 2.1.0 docking_event (flight_vehicle -> flight_vehicle_chaser)."""
    fv = raw["flight_vehicle"]
    sc = fv["spacecraft"]
    cfg = sc["spacecraft_config"]
    return {
        "id": raw["id"],
        "url": f"{BASE}/docking_events/{raw['id']}/",
        "docking": raw["docking"],
        "departure": raw["departure"],
        "docking_location": {
            "id": raw["docking_location"]["id"],
            "name": raw["docking_location"]["name"],
            "spacestation": ISS,
            "spacecraft": None,
            "payload": None,
        },
        "space_station_target": ISS,
        "flight_vehicle_target": None,
        "payload_flight_target": None,
        "response_mode": "normal",
        "flight_vehicle_chaser": {
            "id": fv["id"],
            "url": fv["url"].replace("/2.1.0/spacecraft/flight/", "/2.3.0/spacecraft_flights/"),
            "destination": fv["destination"],
            "mission_end": fv["mission_end"],
            "spacecraft": {
                "response_mode": "normal",
                "id": sc["id"],
                "url": sc["url"].replace("/2.1.0/", "/2.3.0/"),
                "name": sc["name"],
                "serial_number": sc["serial_number"],
                "is_placeholder": False,
                "image": None,
                "in_space": True,
                "time_in_space": None,
                "time_docked": None,
                "flights_count": None,
                "mission_ends_count": None,
                "status": sc["status"],
                "description": sc["description"],
                "spacecraft_config": {
                    "response_mode": "normal",
                    "id": cfg["id"],
                    "url": cfg["url"].replace("/2.1.0/config/spacecraft/", "/2.3.0/spacecraft_configurations/"),
                    "name": cfg["name"],
                    "type": cfg["type"],
                    "agency": _agency(cfg["agency"], "RFSA" if cfg["agency"]["id"] == 63 else "SpX"),
                    "family": [],
                    "in_use": cfg["in_use"],
                    "image": _image(7000 + cfg["id"], cfg["name"], cfg["image_url"]),
                },
                "fastest_turnaround": None,
            },
            "launch": {"id": raw["launch_id"], "url": f"{BASE}/launches/{raw['launch_id']}/", "name": launch_name},
            "landing": None,
            "duration": None,
            "turn_around_time": None,
        },
        "space_station_chaser": None,
        "payload_flight_chaser": None,
    }


def _page(results: list[Any]) -> dict[str, Any]:
    return {"count": len(results), "next": None, "previous": None, "results": results}


def fixtures(source: Path) -> dict[str, Any]:
    """Every fixture file name -> content."""
    samples = source / "samples"
    events = {
        e["id"]: e
        for e in json.loads((samples / "ll2_v2.1.0_event_list__colbad2_LaunchList.json").read_text("utf-8"))["results"]
    }
    dockings = {
        d["id"]: d
        for d in json.loads((samples / "ll2_v2.1.0_docking_event_list__colbad2_LaunchList.json").read_text("utf-8"))[
            "results"
        ]
    }
    progress_launch_raw = events[111]["launches"][0]
    crew1_launch_raw = events[187]["launches"][0]
    # Fixture date: 2020-07-22T12:00Z, the day before Progress MS-15 flew; Crew-1 was then a Month-precision
    # NET (shown as the last day of the month at 00:00Z, as LL2 does).
    progress = _launch(
        progress_launch_raw, status=1, net="2020-07-23T14:26:22Z", precision="MIN", abbrev="RFSA", tz=None
    )
    crew1 = _launch(
        crew1_launch_raw, status=2, net="2020-09-30T00:00:00Z", precision="M", abbrev="SpX", tz="America/New_York"
    )
    progress_detail = copy.deepcopy(progress)
    progress_detail["status"] = STATUSES[3]
    progress_detail["vid_urls"] = [
        # SYNTHETIC start times: the main stream (priority 10) starts 30 min before liftoff.
        _vid("https://www.youtube.com/watch?v=21X5lGlDOfg", 10, "2020-07-23T13:56:00Z", "Progress MS-15 launch"),
        _vid("https://www.youtube.com/watch?v=example-secondary", 20, None, "Secondary stream"),
    ]
    station_events = [
        _event(events[111], precision="MIN", start_time="2020-07-23T17:15:00Z"),
        _event(events[187], precision="DAY", start_time=None),
        _event(events[188], precision="MIN", start_time=None),
    ]
    press = next(e for e in events.values() if e["type"]["id"] == 20)
    station_events.append(_event(press, precision="DAY", start_time=None))
    docking_list = [
        _docking(dockings[239], progress_launch_raw["name"]),
        _docking(dockings[242], crew1_launch_raw["name"]),
    ]
    return {
        "launches.json": _page([progress, crew1]),
        "events.json": _page(station_events),
        "docking_events.json": _page(docking_list),
        f"launch_detail_{progress['id']}.json": progress_detail,
    }


def main(argv: list[str]) -> None:
    """Write the trimmed spec, its README's data, and the fixtures."""
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    spec = json.loads((source / "openapi-2.3.0.json").read_text(encoding="utf-8"))
    SPEC_OUT.parent.mkdir(parents=True, exist_ok=True)
    SPEC_OUT.write_text(json.dumps(trim(spec), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {SPEC_OUT} ({SPEC_OUT.stat().st_size} bytes)")
    DATA_OUT.mkdir(parents=True, exist_ok=True)
    for name, content in fixtures(source).items():
        (DATA_OUT / name).write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {DATA_OUT / name}")


if __name__ == "__main__":
    main(sys.argv)
