"""Full-text search: an incremental Tantivy index beside the warehouse (see docs/search.md).

`index` owns the index files (upsert, delete, commit with a watermark, rebuild, search ids);
`sync` moves what changed in the warehouse into it; `query` turns hits into rows with snippets
and gives ad hoc SQL `search_score(article_id, query)`; `text` is the per-language analysis.
"""

from pipeline.search.index import (
    IndexDoc,
    IndexHit,
    SearchIndex,
    SearchIndexError,
    SearchIndexLocked,
    SearchIndexMissing,
    index_path,
    watermark_of,
)
from pipeline.search.query import Hit, SearchError, register_sql_functions, search, snippet
from pipeline.search.sync import (
    Changes,
    IndexUpdate,
    apply_changes,
    catch_up,
    is_current,
    pending_changes,
    read_changes,
    rebuild,
    update_index,
)

__all__ = [
    "Changes",
    "Hit",
    "IndexDoc",
    "IndexHit",
    "IndexUpdate",
    "SearchError",
    "SearchIndex",
    "SearchIndexError",
    "SearchIndexLocked",
    "SearchIndexMissing",
    "apply_changes",
    "catch_up",
    "index_path",
    "is_current",
    "pending_changes",
    "read_changes",
    "rebuild",
    "register_sql_functions",
    "search",
    "snippet",
    "update_index",
    "watermark_of",
]
