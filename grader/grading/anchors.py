"""Point anchors kept across processes: P(yes) for the prompt's content-free answer, which the
yes/no grader reads beside each answer's own P(yes)."""

from __future__ import annotations

from pathlib import Path

from ..sqlite import KeyedTable, digest


class AnchorCache(KeyedTable):
    """Point anchors (P(yes) for the prompt's content-free answer) kept across processes, so that a
    one-shot grade does not ask them again. Only for a model whose weights are pinned (the bundled
    model, by its sha256): a hosted model can change behind its name. Keyed by that identity, the
    prompt's hash, the question's content hash and the point id."""

    def __init__(self, path: Path, model_identity: str):
        super().__init__(path, "CREATE TABLE IF NOT EXISTS anchors (key TEXT PRIMARY KEY, p REAL)")
        self.model_identity = model_identity

    def _key(self, prompt_hash: str, question_hash: str, point_id: str) -> str:
        return digest(self.model_identity, prompt_hash, question_hash, point_id)

    def get(self, prompt_hash: str, question_hash: str, point_id: str) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT p FROM anchors WHERE key = ?", (self._key(prompt_hash, question_hash, point_id),)).fetchone()
        return row[0] if row else None

    def put(self, prompt_hash: str, question_hash: str, point_id: str, p: float) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO anchors VALUES (?, ?)", (self._key(prompt_hash, question_hash, point_id), p))
