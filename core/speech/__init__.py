"""Speech: decode a video's audio and transcribe it with word timestamps."""

from core.speech.audio import SAMPLE_RATE, DecodedAudio, decode_audio
from core.speech.transcriber import SpokenSegment, SpokenWord, Transcript, WhisperTranscriber

__all__ = ["SAMPLE_RATE", "DecodedAudio", "SpokenSegment", "SpokenWord", "Transcript", "WhisperTranscriber",
           "decode_audio"]
