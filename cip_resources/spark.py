"""Scoring on Spark: a registered MLflow pyfunc applied by `mlflow.pyfunc.spark_udf`.

When the engine is Spark, the scoring assets hand their feature frame to the same registered model
through Spark: each partition is scored by a Python worker that loads the model once, so the work
spreads over the cluster's executors. The session is configured by the same variables as the dbt
project's `spark` target (profiles.yml); with a cluster, `CIP_SPARK_MASTER` names it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import mlflow
import pandas as pd

ROW = "_cip_row"  # carries each input row's position through Spark, which does not keep order


@contextmanager
def spark_session(app: str = "cip-scoring") -> Iterator["pyspark.sql.SparkSession"]:  # noqa: F821
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.appName(app)
               .master(os.environ.get("CIP_SPARK_MASTER", "local[*]"))
               .config("spark.driver.memory", os.environ.get("CIP_SPARK_DRIVER_MEMORY", "4g"))
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", os.environ.get("CIP_SPARK_SHUFFLE_PARTITIONS", "8"))
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.log.level", os.environ.get("CIP_SPARK_LOG_LEVEL", "ERROR")))
    session = builder.getOrCreate()
    try:
        yield session
    finally:
        session.stop()


def predict_with_spark(model_uri: str, frame: pd.DataFrame, result_schema: str, partitions: int = 4) -> pd.DataFrame:
    """`model_uri`'s predictions for `frame` (every column is passed to the model), in `frame`'s order.
    `result_schema` is the model output's columns as Spark DDL (`"churn_probability double, ..."`)."""
    from pyspark.sql import functions as F

    with spark_session() as spark:
        predict = mlflow.pyfunc.spark_udf(spark, model_uri, result_type=result_schema, env_manager="local")
        rows = spark.createDataFrame(frame.reset_index(drop=True).assign(**{ROW: range(len(frame))}))
        scored = (rows.repartition(partitions)
                  .select(ROW, predict(F.struct(*[F.col(f"`{c}`") for c in frame.columns])).alias("prediction"))
                  .select(ROW, "prediction.*")
                  .toPandas())
    return scored.sort_values(ROW).drop(columns=ROW).reset_index(drop=True)
