"""Reading video files with PyAV: fingerprints, probing, posters, generated samples."""
