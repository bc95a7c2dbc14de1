"""Visual analysis of decoded frames: small-frame decoding and shot-boundary detection."""
