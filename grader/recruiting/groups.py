"""Answer groups: answers to the same question that repeat each other, so that one review can
speak for all of them (Powergrading's clusters, Gradescope's answer groups), and be taken back.

Two answers are in one group when their normalised texts are equal (`textnorm.normalise`: width,
script, case, spaces and punctuation folded) or their character-bigram sets overlap by at least
`SIMILARITY` (Jaccard). Grouping is greedy in answer-id order: an answer joins the group whose
first answer it is most like, so a group never chains from one answer to a different one through
a run of small edits.

A group review is stored as ordinary reviews, one per member (the reviews table stays the one
source of labels: the queue, the export and the calibration read them as any other review), and
a row per review in `review_groups` that names the group and the action (the id of the review of
the answer the reviewer had open). Undoing the action deletes exactly those reviews; each member's
earlier review, if it had one, counts again. Reviews are otherwise only ever added.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from ..sqlite import connect_readonly, connect_sqlite, table_names, write_transaction
from ..textnorm import bigrams, normalise
from .review import ReviewRun
from .review_queue import Item
from .review_store import UNCHECKED, Review, ReviewStore, current_review, insert_review
from .store import answer_digest

# Character-bigram Jaccard at or above which two answers to one question are one group. Measured
# on hand-labelled answers (benchmarks/review_order.py --purity; benchmarks/review_order.txt): on
# Beetle's 3,941 training answers, 8.6% of answers join another's group at 0.9, and 90% of those
# carry their group's first answer's label (exact copies after normalising: 3.7% at 96%, the
# labels' own noise); at 0.8, 18% at 86%. A group review speaks for answers nobody reads, so the
# cut errs on the side of purity; "the terminals are connected" / "are not connected" stay apart.
SIMILARITY = 0.9


@dataclass(frozen=True)
class Group:
    id: str  # "question id/first member's answer id"
    question_id: str
    members: tuple[str, ...]  # answer ids, the first one first


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def answer_groups(answers: Iterable[tuple[str, str, str]], similarity: float = SIMILARITY) -> dict[str, Group]:
    """(answer id, question id, text) -> the group of each answer id (a lone answer: a group of one)."""
    by_question: dict[str, list[tuple[str, str]]] = {}
    for answer_id, question_id, text in answers:
        by_question.setdefault(question_id, []).append((answer_id, text))
    groups: dict[str, Group] = {}
    for question_id, rows in by_question.items():
        heads: list[tuple[str, str, set[str]]] = []  # (first answer id, normalised text, bigrams)
        exact: dict[str, int] = {}
        members: list[list[str]] = []
        for answer_id, text in sorted(rows):
            norm = normalise(text)
            index = exact.get(norm)
            if index is None and norm:
                grams = bigrams(text)
                best, best_similarity = None, similarity
                for i, (_, _, head) in enumerate(heads):
                    # Jaccard >= s needs the smaller set at least s times the larger: skip the rest unread.
                    if min(len(grams), len(head)) < similarity * max(len(grams), len(head)):
                        continue
                    value = _jaccard(grams, head)
                    if value >= best_similarity:
                        best, best_similarity = i, value
                index = best
            if index is None:
                index = len(heads)
                heads.append((answer_id, norm, bigrams(text)))
                members.append([])
                exact[norm] = index
            members[index].append(answer_id)
        for (head, _, _), ids in zip(heads, members):
            group = Group(f"{question_id}/{head}", question_id, tuple(ids))
            for answer_id in ids:
                groups[answer_id] = group
    return groups


class GroupIndex:
    """The groups of a run under review, made again only when the graded texts change."""

    def __init__(self, run: ReviewRun, similarity: float = SIMILARITY):
        self.run, self.similarity = run, similarity
        self._lock = threading.Lock()
        self._key: int | None = None
        self._groups: dict[str, Group] = {}

    def groups(self, items: Sequence[Item] | None = None) -> dict[str, Group]:
        items = self.run.items() if items is None else items
        key = hash(tuple((i.answer_id, i.answer_sha) for i in items))
        with self._lock:
            if key != self._key:
                self._groups = answer_groups(((i.answer_id, i.question_id, i.answer) for i in items), self.similarity)
                self._key = key
            return self._groups


class GroupReviewError(ValueError):
    """A group review or undo that cannot be done; the message says why."""


def _connect(run: ReviewRun):
    ReviewStore(run.store_path).close()  # the reviews table exists
    db = connect_sqlite(run.store_path, timeout=30, synchronous="FULL")
    db.execute("CREATE TABLE IF NOT EXISTS review_groups (review_id INTEGER PRIMARY KEY, action INTEGER NOT NULL, group_id TEXT NOT NULL)")
    db.execute("CREATE INDEX IF NOT EXISTS review_groups_by_action ON review_groups (action)")
    return db


def review_group(run: ReviewRun, group: Group, answer_id: str, points: dict[str, str], note: str = "", reviewer: str | None = None, based_on: Any = UNCHECKED) -> dict[str, Any]:
    """Review `answer_id` (checked and saved as any review, `ReviewRun.save`) and give the same
    verdicts to every other member of its group that has no review of its own; members reviewed
    on their own keep theirs. -> {group, action, applied: answer ids, kept: answer ids}."""
    if answer_id not in group.members:
        raise GroupReviewError(f"{answer_id}: not a member of group {group.id}")
    opened = run.save(answer_id, points, note, reviewer, based_on)
    members = {i.answer_id: i for i in run.items() if i.answer_id in group.members}
    db = _connect(run)
    applied, kept = [answer_id], []
    try:
        with write_transaction(db):
            db.execute("INSERT INTO review_groups (review_id, action, group_id) VALUES (?, ?, ?)", (opened.id, opened.id, group.id))
            for member_id in group.members:
                item = members.get(member_id)
                if member_id == answer_id or item is None:
                    continue
                sha = answer_digest(item.answer)
                if current_review(db, item.candidate, item.question_id, sha) is not None:
                    kept.append(member_id)  # reviewed on its own (or by an earlier group review): that one stands
                    continue
                review = Review(item.candidate, item.question_id, sha, opened.points, opened.score, opened.note, opened.reviewer, opened.time)
                db.execute("INSERT INTO review_groups (review_id, action, group_id) VALUES (?, ?, ?)", (insert_review(db, review), opened.id, group.id))
                applied.append(member_id)
    finally:
        db.close()
    run.items()  # the queue shows the new reviews at once
    return {"group": group.id, "action": opened.id, "review": opened.as_json(), "applied": applied, "kept": kept}


def group_action(run: ReviewRun, review_id: int) -> int | None:
    """The group review that made review `review_id`, if one did (the store read, never written)."""
    db = connect_readonly(run.store_path)
    try:
        if "review_groups" not in table_names(db):
            return None
        row = db.execute("SELECT action FROM review_groups WHERE review_id = ?", (review_id,)).fetchone()
        return row[0] if row else None
    finally:
        db.close()


def undo_group_review(run: ReviewRun, action: int) -> dict[str, Any]:
    """Delete exactly the reviews group review `action` made (the answer's earlier review, if any,
    counts again). -> {action, group, removed: answer ids}."""
    db = _connect(run)
    try:
        with write_transaction(db):
            rows = db.execute(
                "SELECT g.review_id, g.group_id, r.candidate, r.question_id FROM review_groups g JOIN reviews r ON r.id = g.review_id WHERE g.action = ? ORDER BY g.review_id",
                (action,),
            ).fetchall()
            if not rows:
                raise GroupReviewError(f"no group review {action} to undo (undone already, or not a group review)")
            ids = [(row[0],) for row in rows]
            db.executemany("DELETE FROM reviews WHERE id = ?", ids)
            db.executemany("DELETE FROM review_groups WHERE review_id = ?", ids)
    finally:
        db.close()
    # The run reads new reviews by id, never deletions: read it again from the store.
    run.close()
    return {"action": action, "group": rows[0][1], "removed": [f"{c}/{q}" for _, _, c, q in rows]}
