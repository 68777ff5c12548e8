"""MLflow: tracking in CIP_HOME/mlflow.db, artifacts in CIP_HOME/mlartifacts, one experiment per model family.

A small own resource rather than dagster-mlflow's: it sets tracking once per step, tags every
run with the Dagster run id, ends runs it starts, and reuses the run of a retried step.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import dagster as dg
import mlflow
from mlflow.tracking import MlflowClient


def tracking_uri(home: str | Path) -> str:
    return f"sqlite:///{Path(home).resolve() / 'mlflow.db'}"


class MlflowResource(dg.ConfigurableResource):
    cip_home: str

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        mlflow.set_tracking_uri(tracking_uri(self.cip_home))

    def client(self) -> MlflowClient:
        mlflow.set_tracking_uri(tracking_uri(self.cip_home))
        return MlflowClient()

    def lifecycle(self, registered_model: str, metric: str, higher_is_better: bool = True):
        """The one lifecycle (register, decide, load) of `registered_model`."""
        from cip_resources.lifecycle import ModelLifecycle

        return ModelLifecycle(self.client(), registered_model, metric, higher_is_better)

    def experiment_id(self, name: str) -> str:
        client = self.client()
        found = client.get_experiment_by_name(name)
        if found:
            return found.experiment_id
        artifacts = (Path(self.cip_home).resolve() / "mlartifacts" / name).as_uri()
        return client.create_experiment(name, artifact_location=artifacts)

    @contextmanager
    def start_run(self, experiment: str, dagster_run_id: str, step: str) -> Iterator[mlflow.ActiveRun]:
        """An MLflow run for this Dagster step; a retry of the same step reopens the same run."""
        experiment_id = self.experiment_id(experiment)
        existing = self.client().search_runs(
            [experiment_id], filter_string=f"tags.dagster_run_id = '{dagster_run_id}' and tags.dagster_step = '{step}'",
            max_results=1)
        run_id = existing[0].info.run_id if existing else None
        with mlflow.start_run(run_id=run_id, experiment_id=experiment_id, run_name=f"{step}-{dagster_run_id[:8]}",
                              tags={"dagster_run_id": dagster_run_id, "dagster_step": step}) as run:
            yield run
