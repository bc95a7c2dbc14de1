"""People from faces: the three detectors, dlib's embeddings and the clustering into people.

Real photos (tests/data/README.md): two of Barack Obama, one of Joe Biden and the astronaut
Eileen Collins. The dlib model files come from the installed packages (a project dependency),
found through the models manager as the stage finds them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from core.errors import ModelError
from core.faces.clustering import assign, assign_or_cluster, centroids, cluster, distances
from core.faces.detector import KINDS, FaceBox, FaceDetecting, HogFaceDetector, make_detector
from core.faces.embedding import DIMENSIONS, FaceEmbedder
from core.modelstore import DLIB_FACES, ModelStore

DATA = Path(__file__).resolve().parents[1] / "data"
PHOTOS = ("obama_face", "obama2_face", "biden_face", "astronaut_face")
ASTRONAUT_FACE = (83, 84, 82, 96)  # x, y, w, h, hand-labelled (tests/data/README.md)
SAME_PERSON = 0.6  # dlib's documented euclidean threshold


@pytest.fixture(scope="module")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return ModelStore(tmp_path_factory.mktemp("data")).files(DLIB_FACES.name)


@pytest.fixture(scope="module")
def photos() -> dict[str, npt.NDArray[np.uint8]]:
    return {name: np.asarray(Image.open(DATA / f"{name}.jpg").convert("RGB"), np.uint8) for name in PHOTOS}


@pytest.fixture(scope="module")
def embedder(model_files: dict[str, Path]) -> FaceEmbedder:
    return FaceEmbedder(model_files)


@pytest.fixture(scope="module")
def vectors(photos: dict[str, npt.NDArray[np.uint8]], embedder: FaceEmbedder) -> dict[str, npt.NDArray[np.float32]]:
    """One embedding per photo, of the face HOG finds in it."""
    hog = HogFaceDetector()
    out = {}
    for name, rgb in photos.items():
        boxes = hog.detect(rgb)
        assert len(boxes) == 1, (name, boxes)
        out[name] = embedder.embed(rgb, boxes)[0]
    return out


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(0, w) * max(0, h)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


@pytest.fixture(scope="module")
def detectors(model_files: dict[str, Path]) -> dict[str, FaceDetecting]:
    return {kind: make_detector(kind, model_files) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_each_detector_finds_the_astronaut_face(kind: str, detectors: dict[str, FaceDetecting],
                                                photos: dict[str, npt.NDArray[np.uint8]]) -> None:
    faces = detectors[kind].detect(photos["astronaut_face"])
    assert len(faces) == 1, faces
    box = (faces[0].x, faces[0].y, faces[0].w, faces[0].h)
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    x, y, w, h = ASTRONAUT_FACE
    assert x <= cx <= x + w and y <= cy <= y + h, box
    assert _iou(box, ASTRONAUT_FACE) >= 0.4, box


@pytest.mark.parametrize("kind", KINDS)
def test_detectors_find_nothing_on_a_blank_or_noisy_frame(kind: str, detectors: dict[str, FaceDetecting]) -> None:
    blank = np.full((240, 320, 3), 128, np.uint8)
    noise = np.random.default_rng(7).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    assert detectors[kind].detect(blank) == []
    assert detectors[kind].detect(noise) == []


def test_make_detector_says_what_is_missing() -> None:
    with pytest.raises(ModelError):
        make_detector("mmod", {})
    with pytest.raises(ModelError):
        make_detector("mmod", {"mmod_human_face_detector.dat": Path("/nonexistent/mmod.dat")})
    with pytest.raises(ValueError):
        make_detector("retina", {})  # type: ignore[arg-type]


def test_embedder_without_its_model_files_raises_model_error(tmp_path: Path, model_files: dict[str, Path]) -> None:
    with pytest.raises(ModelError):
        FaceEmbedder({})
    broken = tmp_path / "dlib_face_recognition_resnet_model_v1.dat"
    broken.write_bytes(b"not a model")
    with pytest.raises(ModelError):
        FaceEmbedder({**model_files, broken.name: broken})


def test_two_photos_of_one_person_embed_closer_than_photos_of_two_people(
        vectors: dict[str, npt.NDArray[np.float32]]) -> None:
    d = {(a, b): float(np.linalg.norm(vectors[a] - vectors[b])) for a in PHOTOS for b in PHOTOS if a < b}
    same = d[("obama2_face", "obama_face")]
    different = {pair: v for pair, v in d.items() if pair != ("obama2_face", "obama_face")}
    assert same < SAME_PERSON < min(different.values()), d


def test_embed_gives_one_row_per_box_batched_or_not(photos: dict[str, npt.NDArray[np.uint8]],
                                                     embedder: FaceEmbedder) -> None:
    left, right = photos["obama_face"], photos["biden_face"]
    both = np.zeros((200, left.shape[1] + right.shape[1], 3), np.uint8)
    both[:left.shape[0], :left.shape[1]] = left
    both[:right.shape[0], left.shape[1]:] = right
    boxes = HogFaceDetector().detect(both)
    assert len(boxes) == 2, boxes
    together = embedder.embed(both, boxes)
    assert together.shape == (2, DIMENSIONS) and together.dtype == np.float32
    alone = np.vstack([embedder.embed(both, [b]) for b in boxes])
    np.testing.assert_allclose(together, alone, atol=1e-4)
    assert embedder.embed(both, []).shape == (0, DIMENSIONS)
    assert embedder.embed(both, [FaceBox(0, 0, 10, 10), *boxes]).shape == (3, DIMENSIONS)


def test_clustering_puts_each_person_together(vectors: dict[str, npt.NDArray[np.float32]]) -> None:
    batch = np.stack([vectors[n] for n in ("obama_face", "biden_face", "obama2_face", "astronaut_face")])
    assert cluster(batch) == [0, 1, 0, 2]


def test_average_linkage_does_not_chain_look_alikes() -> None:
    """b is within 0.5 of a and of c, but a and c are 1.0 apart: single linkage would make one person."""
    line = np.array([[0.0, 0.0], [0.5, 0.0], [1.0, 0.0]], np.float32)
    labels = cluster(line, 0.6)
    assert len(set(labels)) == 2 and labels[0] == labels[1]
    assert cluster(np.zeros((0, 128), np.float32)) == []
    assert cluster(np.zeros((1, 128), np.float32)) == [0]


def test_a_new_video_joins_a_known_person_and_makes_a_stranger_new(
        vectors: dict[str, npt.NDArray[np.float32]]) -> None:
    first = np.stack([vectors["biden_face"], vectors["obama_face"]])
    people = centroids(first, cluster(first))
    assert people.shape == (2, DIMENSIONS)
    later = np.stack([vectors["obama2_face"], vectors["astronaut_face"], vectors["astronaut_face"]])
    assert assign(later, people) == [1, None, None]
    assert assign_or_cluster(later, people) == [1, 2, 2]
    assert assign(later, np.zeros((0, DIMENSIONS), np.float32)) == [None, None, None]
    assert distances(later, people).shape == (3, 2)
