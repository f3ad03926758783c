"""Publishing a set of files all at once, and the checks on the output folder (no kernel)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ca_combatants import publish
from ca_combatants.errors import OutputDirError
from ca_combatants.render import prepare_output_dir

SUFFIXES = [".html", ".pdf", ".ipynb", ".manifest.json"]


def publish_generation(folder: Path, name: str, label: str) -> None:
    with publish.staging(folder, name) as stage:
        for suffix in SUFFIXES:
            stage.path(suffix).write_text(label, encoding="utf-8")
        stage.publish(SUFFIXES)


def test_a_reader_sees_one_whole_set_at_every_instant(tmp_path: Path) -> None:
    publish_generation(tmp_path, "brief", "0")
    seen: list[set[str]] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            # one look at the folder: every file through the one link of that instant
            current = os.readlink(tmp_path / ".brief.current")
            try:
                labels = {
                    (tmp_path / current / f"brief{s}").read_text(encoding="utf-8") for s in SUFFIXES
                }
            except FileNotFoundError:  # two renders later, that set is cleared: look again
                assert os.readlink(tmp_path / ".brief.current") != current
                continue
            seen.append(labels)

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(1, 60):
        publish_generation(tmp_path, "brief", str(i))
    stop.set()
    reader.join()
    assert seen and all(len(labels) == 1 for labels in seen)
    assert {(tmp_path / f"brief{s}").read_text(encoding="utf-8") for s in SUFFIXES} == {"59"}
    # the current set, and the one before it for a reader still reading it
    assert (
        len(
            [
                p
                for p in tmp_path.iterdir()
                if p.name.startswith(".") and p.is_dir() and not p.is_symlink()
            ]
        )
        == 2
    )


def test_plain_files_of_an_older_layout_are_replaced_and_other_names_untouched(
    tmp_path: Path,
) -> None:
    for suffix in SUFFIXES:
        (tmp_path / f"brief{suffix}").write_text("old", encoding="utf-8")
    (tmp_path / "brief-kz.html").write_text("another brief", encoding="utf-8")
    publish_generation(tmp_path, "brief", "new")
    assert all((tmp_path / f"brief{s}").read_text(encoding="utf-8") == "new" for s in SUFFIXES)
    assert (tmp_path / "brief-kz.html").read_text(encoding="utf-8") == "another brief"


def test_a_failed_render_leaves_no_staging_folder_and_the_old_set(tmp_path: Path) -> None:
    publish_generation(tmp_path, "brief", "good")
    with pytest.raises(RuntimeError), publish.staging(tmp_path, "brief") as stage:
        stage.path(".html").write_text("half", encoding="utf-8")
        raise RuntimeError("the PDF engine failed")
    assert all((tmp_path / f"brief{s}").read_text(encoding="utf-8") == "good" for s in SUFFIXES)
    assert not list(tmp_path.glob(".brief.*.tmp"))


def test_only_stale_staging_folders_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / ".brief.0123456789abcdef.tmp"
    stale.mkdir()
    with publish.staging(tmp_path, "brief") as live:
        publish.remove_stale(tmp_path, "brief")  # as another render of the same name would
        assert live.folder.exists()  # locked by its render: kept
        assert not stale.exists()
    assert not live.folder.exists()


def test_the_output_folder_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    taken = tmp_path / "taken"
    taken.write_text("x", encoding="utf-8")
    with pytest.raises(OutputDirError, match="is a file, not a folder"):
        prepare_output_dir(taken)
    with pytest.raises(OutputDirError, match="a part of that path is a file"):
        prepare_output_dir(taken / "reports")

    def refuse(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "touch", refuse)
    with pytest.raises(OutputDirError, match=r"cannot write there \(Permission denied\)"):
        prepare_output_dir(tmp_path / "locked")
