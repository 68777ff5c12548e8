"""QA assets: the question-answering index, built from the published copy after each publish."""

import dagster as dg

from cip_assets.feedback.pipeline import embedding_cache
from cip_assets.qa.index import build_index
from cip_resources.settings import paths
from cip_resources.warehouse import WarehouseResource


@dg.asset(key=["qa", "index"], group_name="qa", deps=[dg.AssetKey(["serving", "published"])],
          kinds={"duckdb", "python"}, owners=["team:data-science"])
def qa_index(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Gazetteer, example-bank embeddings and BM25 + embedding indexes over feedback and customer profiles,
    read from the published copy (read-only) for `cip ask`, the dashboard and the tests. Texts are embedded
    through the platform's embedding cache: what the nlp assets embedded is reused, not embedded again."""
    p = paths()
    if not p.published_db.exists():
        return dg.MaterializeResult(metadata={"skipped": f"no published copy at {p.published_db}"})
    with warehouse.get_connection() as con, embedding_cache(con) as cache:
        manifest = build_index(p.published_db, p.qa_index, embed_texts=cache.get)
        embedded = cache.stats.encoded
    context.log.info(f"QA index built in {manifest['seconds']}s ({embedded} texts newly embedded): {manifest}")
    return dg.MaterializeResult(metadata={
        "path": str(p.qa_index), "seconds": manifest["seconds"], "texts_newly_embedded": embedded,
        "gazetteer": dg.MetadataValue.json(manifest.get("gazetteer", {})),
        "feedback_docs": manifest.get("feedback_docs", 0), "profile_docs": manifest.get("profile_docs", 0),
        "skipped_parts": dg.MetadataValue.json(manifest.get("skipped", {}))})


qa_assets = [qa_index]
