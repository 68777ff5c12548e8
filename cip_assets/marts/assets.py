"""The dbt project as Dagster assets: staging views and marts; dbt tests become asset checks."""


import json
from typing import Any, Mapping

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from cip_assets.events.features import EventSettings
from cip_resources.config import CipSettings
from cip_resources.dbt import dbt_project
from cip_resources.engine import DBT_TARGETS, engine_of, link_spark_tables
from cip_resources.lake import write_raw_lake
from cip_resources.warehouse import WarehouseResource


class CipDbtTranslator(DagsterDbtTranslator):
    """Sources map onto the keys of the Python assets that write them (raw/<table> from ingest, ml/<table> from
    the scoring assets); models are keyed <schema folder>/<model>."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([self._folder(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "ingest" if dbt_resource_props["source_name"] == "raw" else dbt_resource_props["source_name"]
        return self._folder(dbt_resource_props)

    @staticmethod
    def _folder(props: Mapping[str, Any]) -> str:
        fqn = props.get("fqn") or []
        return fqn[1] if len(fqn) > 2 else "marts"


def dbt_vars(settings: CipSettings) -> dict[str, Any]:
    """dbt vars from cip.yaml: `marts.as_of` (default: the last order date), the churn horizon and
    `events.session_gap_minutes`."""
    config = settings.config()
    marts = config.raw.get("marts") or {}
    values: dict[str, Any] = {"churn_horizon_days": config.churn_horizon_days,
                              "session_gap_minutes": EventSettings.from_config(config.raw).session_gap_minutes}
    if marts.get("as_of"):
        values["as_of"] = str(marts["as_of"])
    return values


class DbtBuildConfig(dg.Config):
    """Run config of the dbt asset (the UI's launchpad): `full_refresh: true` rebuilds the incremental models
    from all their input, as after changing `events.session_gap_minutes`."""

    full_refresh: bool = False


TRANSLATOR = CipDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
# a test runs only when every model it reads is built: a subset launched from the UI (or the first
# selection, which leaves customer_scores out) never tests a model it did not build
CAUTIOUS = ("--indirect-selection", "cautious")
SCORES_SELECTION = "customer_scores"  # built after the scoring assets: its sources are the ml tables


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=TRANSLATOR,
            exclude=SCORES_SELECTION)
def cip_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: CipSettings,
                   warehouse: WarehouseResource, config: DbtBuildConfig):
    """`dbt build`: staging views, marts tables, and every dbt test as an asset check. The incremental
    models (sessionised events, sessions) take only what is new unless `full_refresh` is set. On Spark
    the raw lake is brought up to date first, and Spark's tables are linked into the warehouse afterwards."""
    engine = engine_of(settings.config())
    args = ["build", "--vars", json.dumps(dbt_vars(settings)), "--target", DBT_TARGETS[engine], *CAUTIOUS]
    if config.full_refresh:
        args.append("--full-refresh")
    if engine == "spark":
        with warehouse.get_connection() as con:
            written = write_raw_lake(con, settings.paths().lake)
        context.log.info("raw lake: " + ", ".join(f"{w.table} {w.days_written}/{w.days} days written"
                                                  for w in written))
    yield from dbt.cli(args, context=context).stream()
    if engine == "spark":
        with warehouse.get_connection() as con:
            linked = link_spark_tables(con, settings.paths().spark)
        context.log.info(f"linked {len(linked)} Spark tables into the warehouse")


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=TRANSLATOR,
            select=SCORES_SELECTION, name="cip_dbt_scores")
def cip_dbt_scores(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: CipSettings):
    """The second dbt selection: `marts.customer_scores`, customer_360 with every model output joined on.
    Always on DuckDB: the model outputs live in the warehouse file (customer_360 is linked there on Spark)."""
    args = ["build", "--vars", json.dumps(dbt_vars(settings)), *CAUTIOUS]
    yield from dbt.cli(args, context=context).stream()
