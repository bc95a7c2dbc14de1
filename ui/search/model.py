"""The search page's results as rows: one header per video, then its matching moments in time order.

Runs on the GUI thread and holds what the page was given (ui.search.widget hands it the
results); ui.search.delegate paints the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from core.formatting import format_duration, format_timestamp
from core.search.results import SearchHit, VideoResult

BADGES = {  # modality -> (text, background, foreground)
    "speech": ("spoken", "#dbe8fb", "#163f7a"),
    "text": ("on screen", "#fbecc8", "#6b4200"),
    "visual": ("visual", "#d9f0dc", "#1d5a2a"),
    "person": ("person", "#f3dbe8", "#6d1a47"),  # `person:NAME` alone: their appearances
}


def badge_text(modality: str) -> str:
    return BADGES.get(modality, (modality, "", ""))[0]


def snippet_html(hit: SearchHit, max_chars: int = 160) -> str:
    """The hit's snippet with its matching words in bold; text read off the screen in quotes
    (so an on-screen "07.00 s" reads as something shown, not as a time of ours)."""
    html = hit.snippet_html(max_chars)
    return f"“{html}”" if hit.modality == "text" else html


def moment_count_text(count: int) -> str:
    return f"{count} moment{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class _Row:
    result: int  # index into the results
    hit: int | None  # None: the video's header row


class SearchResultsModel(QAbstractListModel):
    """One header row per video, then one row per matching moment; painted by `SearchResultDelegate`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.results: list[VideoResult] = []
        self.rows: list[_Row] = []
        self.project_names: dict[str, str] = {}
        self.show_projects = False

    def set_results(self, results: list[VideoResult]) -> None:
        self.beginResetModel()
        self.results = list(results)
        self.rows = [row for i, result in enumerate(self.results)
                     for row in [_Row(i, None)] + [_Row(i, h) for h in range(len(result.hits))]]
        self.endResetModel()

    def row_of(self, result: int, hit: int | None) -> int | None:
        try:
            return self.rows.index(_Row(result, hit))
        except ValueError:
            return None

    def best_row(self, result: int) -> int | None:
        """The row of the video's best moment."""
        hits = self.results[result].hits
        return self.row_of(result, hits.index(self.results[result].best)) if hits else None

    def entry(self, row: int) -> tuple[VideoResult, SearchHit | None]:
        at = self.rows[row]
        result = self.results[at.result]
        return result, (result.hits[at.hit] if at.hit is not None else None)

    def header_meta(self, result: VideoResult) -> str:
        parts = [moment_count_text(len(result.hits))]
        if len(result.hits) > 1:
            parts.append(f"best at {format_timestamp(result.clock_s(result.best.start_s))}")
        if result.duration_s:
            parts.append(f"{format_duration(result.duration_s)} long")
        project = self.project_names.get(result.project_id)
        if self.show_projects and project:
            parts.append(f"in {project}")
        return " · ".join(parts)

    def row_text(self, row: int) -> str:
        """Row `row` as the operator reads it (snippets keep their <b> marks)."""
        result, hit = self.entry(row)
        if hit is None:
            return f"{result.name} — {self.header_meta(result)}"
        return (f"{format_timestamp(result.clock_s(hit.start_s))} · {badge_text(hit.modality)} · "
                f"{snippet_html(hit)} · {hit.reason()}")

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        result, hit = self.entry(index.row())
        if role == Qt.ItemDataRole.DisplayRole:  # plain text, for accessibility and keyboard search
            if hit is None:
                return result.name
            return f"{format_timestamp(result.clock_s(hit.start_s))} {badge_text(hit.modality)} {hit.text}"
        if role == Qt.ItemDataRole.ToolTipRole:
            if hit is None:
                return (f"{result.path}\nClick (or Enter) to play its best moment, at "
                        f"{format_timestamp(result.clock_s(result.best.start_s))}")
            how = " and ".join("its words" if m == "keyword" else "its meaning" for m in hit.matched_by)
            return (f"{format_timestamp(result.clock_s(hit.start_s))} – {format_timestamp(result.clock_s(hit.end_s))}"
                    f", matched by {how} ({hit.reason()})"
                    "\nClick (or Enter) to play from a second before")
        return None


