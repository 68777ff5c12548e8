"""Customer segments from RFM and behaviour features, each described in words a marketer can act on.

KMeans gives the segments (k chosen by silhouette), a Gaussian mixture gives a second opinion
(k chosen by BIC), PCA gives 2-D coordinates for the dashboard's scatter plot. Features are
log-transformed before scaling because spend and order counts are heavy-tailed: without it one
whale becomes its own cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

SILHOUETTE_SAMPLE = 10_000
FIT_SAMPLE = 100_000

# How to speak about a column, by substring of its name (first match wins): the phrase for the
# cluster/population ratio, and the short-name words for a high and a low value.
_RECENCY_KEYS = ("days_since", "recency_days")
_TRAITS = (
    (("days_since", "recency_days"), "last order", "Lapsed", "Recent"),
    (("frequency", "orders", "purchases"), "buys", "Frequent", "Occasional"),
    (("basket", "aov", "avg_order"), "average basket", "Big-basket", "Small-basket"),
    (("_30d", "_90d", "_180d"), "recent spend", "Currently-active", "Quiet"),
    (("monetary", "revenue", "spend", "value"), "spent", "High-spend", "Low-spend"),
    (("tenure", "t_days"), "customer for", "Long-standing", "New"),
)


@dataclass
class SegmentationResult:
    """Segments per customer, plus what the choice of k rested on."""

    segments: pd.DataFrame  # customer_id, segment_id, segment_name, persona, pca_x, pca_y, gmm_segment_id
    k: int  # KMeans k, best silhouette
    gmm_k: int  # Gaussian mixture k, lowest BIC
    silhouette: dict[int, float]
    bic: dict[int, float]
    profiles: pd.DataFrame  # per segment: size and mean of every feature
    explained_variance: tuple[float, float]  # of the two PCA axes
    assigner: "SegmentAssigner"  # the fitted pipeline, for the registry and later assignment


def _signed_log(values: pd.DataFrame) -> pd.DataFrame:
    """log1p that keeps the sign, so net revenue after returns (sometimes negative) is still usable."""
    return np.sign(values) * np.log1p(values.abs())


def _trait(column: str) -> tuple[str, str, str]:
    name = "tenure" if column == "T" else column.lower()  # BG/NBD's T is days since first purchase
    for keys, phrase, high, low in _TRAITS:
        if any(key in name for key in keys):
            return phrase, high, low
    label = column.replace("_", " ")
    return label, f"High {label}", f"Low {label}"


def _describe(column: str, cluster_mean: float, population_mean: float) -> str:
    """One clause comparing a segment with everyone, e.g. 'buys 3.1x more often than average'."""
    phrase, _, _ = _trait(column)
    if population_mean == 0:
        return f"{phrase} {cluster_mean:.3g} (average 0)"
    ratio = cluster_mean / population_mean
    if any(key in column.lower() for key in _RECENCY_KEYS):
        change = abs(1 - ratio) * 100
        return f"{phrase} {change:.0f}% {'more recent' if ratio < 1 else 'longer ago'} than average"
    if phrase == "buys":
        return f"buys {ratio:.1f}x more often than average" if ratio >= 1 else f"buys {1 - ratio:.0%} less often than average"
    if ratio >= 1:
        return f"{phrase} {ratio:.1f}x average"
    return f"{phrase} {1 - ratio:.0%} less than average"


def _personas(raw: pd.DataFrame, scaled: pd.DataFrame, labels: np.ndarray, traits: int = 3) -> tuple[dict, dict]:
    """Persona sentence and short name per segment from its most distinctive features (largest |mean z-score|)."""
    population = raw.mean()
    personas, names = {}, {}
    for segment in np.unique(labels):
        inside = labels == segment
        z = scaled[inside].mean()
        dominant = z.abs().sort_values(ascending=False).index[:traits]
        means = raw[inside].mean()
        personas[segment] = ", ".join(_describe(c, means[c], population[c]) for c in dominant)
        words = [_trait(c)[1] if z[c] > 0 else _trait(c)[2] for c in dominant[:2]]
        names[segment] = " ".join([words[0]] + [w.lower() for w in words[1:]])
    seen: dict[str, int] = {}
    for segment, name in names.items():  # two segments may share the same top traits
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            names[segment] = f"{name} ({seen[name]})"
    return personas, names


class SegmentAssigner:
    """The fitted segmentation as one object: medians for gaps, signed log, scaling, KMeans (ids by size), the
    names and personas, the PCA axes and the Gaussian mixture's second opinion. `describe` gives every column of
    ml.customer_segments for any customers' features, so the registered pyfunc alone reproduces the table."""

    def __init__(self, columns: list[str], medians: pd.Series, scaler: StandardScaler, kmeans: KMeans,
                 mapping: np.ndarray, names: dict[int, str], personas: dict[int, str] | None = None,
                 pca: PCA | None = None, gmm: GaussianMixture | None = None, gmm_mapping: np.ndarray | None = None):
        self.columns, self.medians, self.scaler, self.kmeans = columns, medians, scaler, kmeans
        self.mapping, self.names, self.personas = mapping, names, personas or {}
        self.pca, self.gmm, self.gmm_mapping = pca, gmm, gmm_mapping

    def scale(self, features: pd.DataFrame) -> np.ndarray:
        raw = features[self.columns].astype(float).fillna(self.medians)
        return self.scaler.transform(_signed_log(raw))

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        return self.mapping[self.kmeans.predict(self.scale(features))]

    def describe(self, features: pd.DataFrame) -> pd.DataFrame:
        """segment_id, segment_name, persona, pca_x, pca_y, gmm_segment_id per row of `features`."""
        X = self.scale(features)
        labels = self.mapping[self.kmeans.predict(X)]
        coords = self.pca.transform(X) if self.pca is not None else np.column_stack([X[:, 0], np.zeros(len(X))])
        gmm = (self.gmm_mapping[self.gmm.predict(X)] if self.gmm is not None
               else np.full(len(X), -1))
        return pd.DataFrame({
            "segment_id": labels,
            "segment_name": [self.names[s] for s in labels],
            "persona": [self.personas.get(s, "") for s in labels],
            "pca_x": coords[:, 0],
            "pca_y": coords[:, 1],
            "gmm_segment_id": gmm,
        })


def silhouette_in(space: SegmentAssigner, features: pd.DataFrame, labels: np.ndarray, seed: int = 42) -> float:
    """Silhouette of `labels` in `space`'s scaled feature space, on a fixed sample of at most SILHOUETTE_SAMPLE
    customers: two segmentations of the same customers compared on one ruler."""
    X = space.scale(features)
    sample = np.random.default_rng(seed).choice(len(X), size=min(len(X), SILHOUETTE_SAMPLE), replace=False)
    return float(silhouette_score(X[sample], np.asarray(labels)[sample]))


def segment_customers(features: pd.DataFrame, k_range=range(2, 9), seed: int = 42) -> SegmentationResult:
    """Cluster customers on every numeric column of `features` (customer_id as index or column).

    Segment ids are ordered by size, largest first, so they stay stable across runs with the same seed
    and read naturally in a report. Missing values take the column median; constant columns are dropped.
    The models are fitted on a random sample of at most FIT_SAMPLE customers and then assign everyone,
    which keeps the cost flat from thousands to millions of customers.
    """
    if "customer_id" in features.columns:
        features = features.set_index("customer_id")
    raw = features.select_dtypes("number").astype(float)
    medians = raw.median()
    raw = raw.fillna(medians)
    raw = raw.loc[:, raw.std() > 0]
    scaler = StandardScaler().fit(_signed_log(raw))
    scaled = pd.DataFrame(scaler.transform(_signed_log(raw)), index=raw.index, columns=raw.columns)
    X = scaled.to_numpy()
    ks = [k for k in k_range if 2 <= k < len(X)]

    rng = np.random.default_rng(seed)
    fit_rows = X[rng.choice(len(X), size=min(len(X), FIT_SAMPLE), replace=False)]
    sample = rng.choice(len(X), size=min(len(X), SILHOUETTE_SAMPLE), replace=False)
    silhouette, bic, kmeans_models, gmm_models = {}, {}, {}, {}
    for k in ks:
        kmeans_models[k] = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(fit_rows)
        silhouette[k] = float(silhouette_score(X[sample], kmeans_models[k].predict(X[sample])))
        gmm_models[k] = GaussianMixture(n_components=k, covariance_type="full", reg_covar=1e-4, n_init=2,
                                        random_state=seed).fit(fit_rows)
        bic[k] = float(gmm_models[k].bic(fit_rows))
    k = max(silhouette, key=silhouette.get)
    gmm_k = min(bic, key=bic.get)

    kmeans_labels = kmeans_models[k].predict(X)
    mapping = _size_mapping(kmeans_labels, k)
    labels = mapping[kmeans_labels]
    personas, names = _personas(raw, scaled, labels)
    pca = PCA(n_components=2, random_state=seed).fit(fit_rows) if X.shape[1] >= 2 else None
    assigner = SegmentAssigner(list(raw.columns), medians[raw.columns], scaler, kmeans_models[k], mapping, names,
                               personas, pca, gmm_models[gmm_k], _size_mapping(gmm_models[gmm_k].predict(X), gmm_k))
    segments = assigner.describe(raw)
    segments.insert(0, "customer_id", raw.index)
    profiles = raw.assign(segment_id=labels).groupby("segment_id").mean()
    profiles.insert(0, "customers", np.bincount(labels))
    profiles.insert(0, "segment_name", [names[s] for s in profiles.index])
    explained = tuple(float(v) for v in pca.explained_variance_ratio_) if pca is not None else (1.0, 0.0)
    return SegmentationResult(segments=segments, k=k, gmm_k=gmm_k, silhouette=silhouette, bic=bic,
                              profiles=profiles, explained_variance=explained, assigner=assigner)


def _size_mapping(labels: np.ndarray, k: int) -> np.ndarray:
    """Cluster -> id, 0..k-1 from largest to smallest (ties by original label), so ids do not depend on init order."""
    sizes = np.bincount(labels, minlength=k)
    order = sorted(range(len(sizes)), key=lambda label: (-sizes[label], label))
    mapping = np.empty(len(sizes), dtype=int)
    mapping[order] = np.arange(len(sizes))
    return mapping


def _by_size(labels: np.ndarray) -> np.ndarray:
    """Relabel clusters 0..k-1 from largest to smallest (ties by original label) so ids do not depend on init order."""
    return _size_mapping(labels, int(labels.max()) + 1 if len(labels) else 0)[labels]
