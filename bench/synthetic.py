"""Build a synthetic data package N times the size of the real one, for benchmarks.

Each table is repeated N times; every key and foreign-key value of copy k gets the suffix
`_k`, so keys stay unique and references stay resolvable. Archived texts are shared.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd


def build(real: Path, target: Path, factor: int) -> Path:
    descriptor = json.loads((real / "datapackage.json").read_text(encoding="utf-8"))
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(real / "datapackage.json", target / "datapackage.json")
    shutil.copytree(real / "sources", target / "sources", dirs_exist_ok=True)
    for res in descriptor["resources"]:
        if "schema" not in res:
            continue  # an archived text the package lists, copied above
        schema = res["schema"]
        pk = (
            schema["primaryKey"]
            if isinstance(schema["primaryKey"], list)
            else [schema["primaryKey"]]
        )
        keys = set(pk) | {fk["fields"] for fk in schema.get("foreignKeys", [])}
        df = pd.read_csv(real / res["path"], dtype=str, keep_default_na=False)
        copies = []
        for k in range(factor):
            part = df.copy()
            for col in keys:
                part[col] = part[col].where(part[col] == "", part[col] + f"_{k}")
            if "display_order" in part:
                part["display_order"] = (part["display_order"].astype(int) + 100 * k).astype(str)
            copies.append(part)
        pd.concat(copies, ignore_index=True).to_csv(
            target / res["path"], index=False, lineterminator="\n"
        )
    return target
