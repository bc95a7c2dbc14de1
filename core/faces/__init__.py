"""Faces: OpenCV's Haar frontal-face detector on sampled frames, face crops, per-shot counts."""

from core.faces.appearances import FaceAppearance, face_appearances
from core.faces.detector import CASCADE_FILE, FaceBox, FaceDetector
from core.faces.shots import faces_per_shot

__all__ = ["CASCADE_FILE", "FaceAppearance", "FaceBox", "FaceDetector", "face_appearances", "faces_per_shot"]
