"""The embedded FerretDB answers equality filters from indexes, with MongoDB's meaning intact.

scripts/setup.sh builds FerretDB with packaging/ferretdb-sqlite-pushdown.patch; these checks
run on the test server (skipped parts need the embedded server's `explain`)."""

from __future__ import annotations

from typing import Any

from core.repositories import DatabaseAddress, connect


def plan(db: Any, collection: str, filter_: dict[str, Any]) -> str | None:
    """SQLite's plan for `filter_` (None when the server is not FerretDB)."""
    answer = db.command("explain", {"find": collection, "filter": filter_})
    if "ferretdbVersion" not in answer.get("serverInfo", {}):
        return None
    return " ".join(answer["queryPlanner"]["Plan"])


def test_equality_filters_use_indexes_and_keep_mongodb_semantics(database: DatabaseAddress) -> None:
    client, db = connect(database)
    try:
        coll = db["pushdown_check"]
        coll.create_index([("video_id", 1), ("kind", 1)])
        coll.insert_many([
            {"_id": "a", "video_id": "v1", "kind": "speech"},
            {"_id": "b", "video_id": "v1", "kind": "ocr"},
            {"_id": "c", "video_id": "v2", "kind": "speech"},
            {"_id": "d", "video_id": ["v1", "v9"], "kind": "speech"},  # an array holding the value matches
            {"_id": "e", "video_id": {"nested": "v1"}, "kind": "speech"},  # a document does not
            {"_id": "f", "video_id": "v1 ", "kind": "speech"},
            {"_id": "g", "video_id": 'v1"&<>', "kind": "speech"},  # characters JSON escapes
        ])

        def ids(filter_: dict[str, Any]) -> list[str]:
            return sorted(d["_id"] for d in coll.find(filter_))

        assert ids({"video_id": "v1"}) == ["a", "b", "d"]
        assert ids({"video_id": "v1", "kind": "speech"}) == ["a", "d"]
        assert ids({"video_id": {"$eq": "v9"}}) == ["d"]
        assert ids({"video_id": {"$in": ["v2", "v9"]}}) == ["c", "d"]
        assert ids({"video_id": 'v1"&<>'}) == ["g"]
        assert ids({"_id": {"$in": ["a", "c", "zz"]}}) == ["a", "c"]
        assert ids({"video_id": "v1", "kind": {"$ne": "ocr"}}) == ["a", "d"]  # the rest filtered exactly
        assert coll.count_documents({"video_id": "v1"}) == 3
        assert coll.delete_many({"video_id": "v2"}).deleted_count == 1
        coll.update_one({"_id": "a"}, {"$set": {"kind": "face"}})
        assert ids({"kind": "face"}) == ["a"]

        for filter_ in ({"_id": "a"}, {"video_id": "v1"}, {"video_id": {"$in": ["v1", "v2"]}, "kind": "speech"}):
            shown = plan(db, "pushdown_check", filter_)
            if shown is not None:
                assert "USING INDEX" in shown and "SCAN" not in shown, (filter_, shown)
    finally:
        client.close()
