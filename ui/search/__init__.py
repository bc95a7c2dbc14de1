"""The search page: results model (model), painting (delegate), the page and its list (widget)."""

from ui.search.delegate import THUMB, SearchResultDelegate
from ui.search.model import SearchResultsModel
from ui.search.widget import RESULT_LIMIT, SearchResultsView, SearchWidget, read_thumbnails

__all__ = ["RESULT_LIMIT", "THUMB", "SearchResultDelegate", "SearchResultsModel", "SearchResultsView", "SearchWidget",
           "read_thumbnails"]
