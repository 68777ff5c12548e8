"""The settings resource: hands assets the sources config and the CIP_HOME paths."""

from __future__ import annotations

import dagster as dg

from cip_resources.settings import CipConfig, Paths, load_config, paths


class CipSettings(dg.ConfigurableResource):
    """`config_path` empty means `CIP_CONFIG`, and no config at all the synthetic default."""

    config_path: str = ""

    def config(self) -> CipConfig:
        return load_config(self.config_path or None)

    def paths(self) -> Paths:
        return paths().ensure()
