"""Build the small OpenCV the installer ships: only the modules the app uses, no FFmpeg, no BLAS.

    .venv/bin/python packaging/build_opencv.py     # prints the path of the built cv2 module

opencv-python-headless from PyPI is 121 MB in the bundle: every OpenCV module, its own FFmpeg,
OpenBLAS and image codecs. The app needs core, imgproc, imgcodecs (PNG, JPEG) and objdetect (the
Haar face detector), as rapidocr and core.faces use them; built from the same release's source
(the PyPI sdist, checked against PyPI's SHA-256), that is a 16 MB module. scripts/build.sh puts it
in place of the wheel's `cv2/cv2.abi3.so` in the bundle (build.spec), keeping the wheel's Python
loader and Haar cascades; the source install keeps the wheel. Same OCR and face results as the
wheel (benchmarks/bench_ocr.py 78/80 lines, bench_faces.py F1 98.1 % with both).

The module is cached under ~/.cache/vip-desktop/opencv-minimal/ by version and options: about 5
minutes on 2 cores the first time (cmake, ninja and g++: scripts/setup.sh installs them).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import urllib.request
from pathlib import Path

PACKAGE = "opencv-python-headless"
MODULES = "core,imgproc,imgcodecs,objdetect,python3,python_bindings_generator"
OPTIONS = [
    "-DCMAKE_BUILD_TYPE=Release", f"-DBUILD_LIST={MODULES}", "-DBUILD_SHARED_LIBS=OFF",
    # Codecs and backends nothing in the app uses: without them there is no FFmpeg, no BLAS, no
    # system image library to ship. PNG and JPEG are built in (imencode/imdecode, imwrite).
    "-DWITH_FFMPEG=OFF", "-DWITH_GSTREAMER=OFF", "-DWITH_V4L=OFF", "-DWITH_LAPACK=OFF", "-DWITH_OPENBLAS=OFF",
    "-DWITH_EIGEN=OFF", "-DWITH_GTK=OFF", "-DWITH_QT=OFF", "-DWITH_OPENCL=OFF", "-DWITH_IPP=OFF", "-DWITH_ITT=OFF",
    "-DWITH_PROTOBUF=OFF", "-DWITH_OPENEXR=OFF", "-DWITH_TIFF=OFF", "-DWITH_OPENJPEG=OFF", "-DWITH_JASPER=OFF",
    "-DWITH_AVIF=OFF", "-DWITH_WEBP=OFF", "-DWITH_JPEG=ON", "-DBUILD_JPEG=ON", "-DWITH_PNG=ON", "-DBUILD_PNG=ON",
    "-DBUILD_TESTS=OFF", "-DBUILD_PERF_TESTS=OFF", "-DBUILD_EXAMPLES=OFF", "-DBUILD_DOCS=OFF",
    "-DBUILD_opencv_apps=OFF", "-DBUILD_JAVA=OFF",
    "-DCPU_DISPATCH=AVX2",  # the SSE3 baseline runs everywhere; AVX2 kernels where the CPU has it
]


def say(text: str) -> None:
    print(f"[opencv] {text}", file=sys.stderr, flush=True)


def sdist(version: str, into: Path) -> Path:
    """The release's source from PyPI, checked against the SHA-256 PyPI lists for it."""
    index = urllib.request.Request(f"https://pypi.org/simple/{PACKAGE}/",
                                   headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(index, timeout=60) as answer:
        files = json.load(answer)["files"]
    wanted = f"{PACKAGE.replace('-', '_')}-{version}.tar.gz"
    entry = next((f for f in files if f["filename"] == wanted), None)
    if entry is None:
        raise SystemExit(f"build_opencv: PyPI lists no source archive {wanted}")
    archive = into / entry["filename"]
    say(f"downloading {entry['filename']} ({entry['size'] / 1e6:.0f} MB)")
    digest = hashlib.sha256()
    with urllib.request.urlopen(entry["url"], timeout=60) as source, open(archive, "wb") as out:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != entry["hashes"]["sha256"]:
        raise SystemExit(f"build_opencv: {entry['filename']} does not match PyPI's SHA-256")
    return archive


def build(version: str, out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="vip-opencv-") as tmp:
        work = Path(tmp)
        with tarfile.open(sdist(version, work)) as tar:
            members = [m for m in tar.getmembers() if "/opencv/" in m.name and "/opencv_contrib/" not in m.name]
            tar.extractall(work, members=members, filter="data")
        source = next(work.glob("*/opencv"))
        paths = sysconfig.get_paths()
        library = Path(sysconfig.get_config_var("LIBDIR") or "") / (sysconfig.get_config_var("LDLIBRARY") or "")
        import numpy

        python = [f"-DPYTHON3_EXECUTABLE={sys.executable}", f"-DPYTHON3_INCLUDE_DIR={paths['include']}",
                  f"-DPYTHON3_LIBRARY={library}", f"-DPYTHON3_NUMPY_INCLUDE_DIRS={numpy.get_include()}"]
        say(f"configuring OpenCV {version} ({MODULES.replace(',python_bindings_generator', '')})")
        subprocess.run(["cmake", "-G", "Ninja", "-S", str(source), "-B", str(work / "build"), *OPTIONS, *python],
                       check=True, stdout=subprocess.DEVNULL)
        say("compiling (about 5 minutes on 2 cores)")
        subprocess.run(["ninja", "-C", str(work / "build"), f"-j{os.cpu_count() or 2}"], check=True,
                       stdout=subprocess.DEVNULL)
        built = next((work / "build" / "lib" / "python3").glob("cv2*.so"))
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["strip", "--strip-unneeded", "-o", str(out.with_suffix(".tmp")), str(built)], check=True)
        os.replace(out.with_suffix(".tmp"), out)


def main() -> int:
    version = importlib.metadata.version(PACKAGE)
    key = hashlib.sha256(" ".join([version, sys.version, *OPTIONS]).encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    out = cache / "vip-desktop" / "opencv-minimal" / f"{version}-{key}" / "cv2.abi3.so"
    if not out.is_file():
        missing = [tool for tool in ("cmake", "ninja", "g++", "strip") if shutil.which(tool) is None]
        if missing:
            raise SystemExit(f"build_opencv: {', '.join(missing)} missing (run scripts/setup.sh)")
        build(version, out)
        say(f"built {out} ({out.stat().st_size / 1e6:.1f} MB)")
    check = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import cv2; "
                            "assert cv2.CascadeClassifier is not None and cv2.imdecode is not None; "
                            "print(cv2.__version__)", str(out.parent)], capture_output=True, text=True)
    if check.returncode != 0 or check.stdout.strip() != version.rsplit(".", 1)[0]:
        raise SystemExit(f"build_opencv: {out} does not import as OpenCV {version}: {check.stderr[-300:]}")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
