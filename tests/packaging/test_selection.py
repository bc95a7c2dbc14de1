"""bundle_tools.selection: which collected files the bundle keeps (run by pytest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundle_tools.selection import Selection, drop_dangling_links, replace_binary

SELECTION = Selection(
    qt_libs={"Core", "Gui", "Multimedia"},
    plugins={"platforms": {"libqxcb.so"}, "iconengines": None},
    system_libs=("libgtk-3.", "libcairo"),
    dropped=("onnxruntime/capi/libonnxruntime.so", "PIL/_avif."),
)


@pytest.mark.parametrize(("dest", "kept"), [
    ("PySide6/Qt/lib/libQt6Core.so.6", True),
    ("PySide6/Qt/lib/libQt6Multimedia.so.6", True),
    ("PySide6/Qt/lib/libQt6MultimediaWidgets.so.6", False),  # not a prefix match
    ("PySide6/Qt/lib/libQt6Pdf.so.6", False),
    ("PySide6/Qt/lib/libQt6FFmpegStub-va.so.6", True),
    ("PySide6/Qt/lib/libicudata.so.73", True),
    ("PySide6/Qt/translations/qtbase_de.qm", False),
    ("PySide6/Qt/qml/QtQuick/qmldir", False),
    ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
    ("PySide6/Qt/plugins/platforms/libqwayland-egl.so", False),
    ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", True),
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
    ("libgtk-3.so.0", False),
    ("libcairo.so.2", False),
    ("PySide6/libcairo.so.2", True),  # only top-level system libraries go
    ("libz.so.1", True),
    ("onnxruntime/capi/libonnxruntime.so.1.20.1", False),
    ("onnxruntime/capi/onnxruntime_pybind11_state.so", True),
    ("PIL/_avif.cpython-311-x86_64-linux-gnu.so", False),
    ("PIL/_imaging.cpython-311-x86_64-linux-gnu.so", True),
    ("core/__init__.py", True),
])
def test_keeps(dest: str, kept: bool) -> None:
    assert SELECTION.keeps(dest) is kept


def test_replace_binary_swaps_the_module_and_drops_the_folder() -> None:
    binaries = [("cv2/cv2.abi3.so", "/wheel/cv2.abi3.so", "EXTENSION"),
                ("opencv_python_headless.libs/libavcodec-1a2b3c4d.so.61", "/wheel/libavcodec", "BINARY"),
                ("numpy/core.so", "/numpy/core.so", "EXTENSION")]
    assert replace_binary(binaries, "cv2/cv2.abi3.so", "/cache/cv2.abi3.so", "opencv_python_headless.libs/") == [
        ("cv2/cv2.abi3.so", "/cache/cv2.abi3.so", "EXTENSION"), ("numpy/core.so", "/numpy/core.so", "EXTENSION")]


def test_replace_binary_without_the_module() -> None:
    with pytest.raises(LookupError):
        replace_binary([("numpy/core.so", "/numpy/core.so", "EXTENSION")], "cv2/cv2.abi3.so", "/x.so", "opencv/")


def test_drop_dangling_links(tmp_path: Path) -> None:
    (tmp_path / "PySide6").mkdir()
    (tmp_path / "PySide6" / "libQt6Core.so.6").write_bytes(b"")
    (tmp_path / "libQt6Core.so.6").symlink_to("PySide6/libQt6Core.so.6")
    (tmp_path / "libQt6Pdf.so.6").symlink_to("PySide6/libQt6Pdf.so.6")  # dropped by the selection
    assert drop_dangling_links(tmp_path) == ["libQt6Pdf.so.6"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["PySide6", "libQt6Core.so.6"]
