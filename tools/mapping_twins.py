"""Write (or check) the JSON twins of the shipped mapping and network files.

A twin holds the same data as its TOML file, in JSON (which parses in a tenth of the time),
with the size and CRC-32 of the TOML bytes it was made from and the CRC-32 of its own data line;
payerr reads a twin only when both match. Run after editing a file under ``mappings/``:

    python tools/mapping_twins.py          # write them
    python tools/mapping_twins.py --check  # exit 1 when one is missing or stale
"""

from __future__ import annotations

import json
import sys
import tomllib
import zlib
from pathlib import Path

from payerr._core.files import TWIN_SUFFIX, source_stamp, twin_data

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"


def twin_text(toml_path: Path) -> str:
    """Two lines: the header (the TOML's stamp, the data line's CRC-32), then the data."""
    raw = toml_path.read_bytes()
    data = json.dumps(
        twin_data(tomllib.loads(raw.decode("utf-8"))), ensure_ascii=False, separators=(",", ":")
    )
    header = {
        "twin_of": toml_path.name,
        "source": source_stamp(raw),
        "data_crc": f"{zlib.crc32(data.encode('utf-8')):08x}",
    }
    return json.dumps(header, ensure_ascii=False, separators=(",", ":")) + "\n" + data + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for toml_path in sorted(MAPPINGS.rglob("*.toml")):
        twin = toml_path.with_name(toml_path.name + TWIN_SUFFIX)
        text = twin_text(toml_path)
        current = twin.read_text(encoding="utf-8") if twin.exists() else None
        if current == text:
            continue
        if check:
            stale.append(str(twin.relative_to(MAPPINGS.parent)))
        else:
            twin.write_text(text, encoding="utf-8")
            print(f"wrote {twin.relative_to(MAPPINGS.parent)}")
    for name in stale:
        print(f"stale or missing: {name} (run python tools/mapping_twins.py)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
