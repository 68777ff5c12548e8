"""Next action of a session: after each event, what comes next (view, cart, remove_from_cart, purchase,
or the session ends)?

Three models see the same windows of a session's last WINDOW events (types and the gaps between them):
a second-order Markov chain (the baseline), LightGBM on n-gram counts, and a GRU in PyTorch. The split is
by time: sessions that started before the split time train, later ones test.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import mlflow
import numpy as np
import pandas as pd
import torch
from lightgbm import LGBMClassifier
from sklearn.metrics import f1_score, log_loss, precision_recall_fscore_support

from cip_assets.events.features import EVENTS_TABLE

ACTIONS = ("view", "cart", "remove_from_cart", "purchase", "end")
N_TYPES = 4  # event types; their code is int_sessionised_events.event_type_rank
END = 4  # target class: the session has no further event
PAD = 4  # token before a session's first event
WINDOW = 8
PURCHASE = ACTIONS.index("purchase")


@dataclass
class Windows:
    """Per example (one per event): tokens[:, k] is the type of the event k steps back (0 = the current one),
    PAD before the session starts; gaps[:, k] the log1p seconds before that event; position its index."""

    tokens: np.ndarray  # (n, WINDOW) int64
    gaps: np.ndarray  # (n, WINDOW) float32
    position: np.ndarray  # (n,) float32

    def __len__(self) -> int:
        return len(self.position)

    def take(self, rows: np.ndarray) -> "Windows":
        return Windows(self.tokens[rows], self.gaps[rows], self.position[rows])

    def to_frame(self) -> pd.DataFrame:
        """The model-input frame the registered pyfunc takes."""
        frame = pd.DataFrame(self.tokens, columns=[f"type_{k}" for k in range(WINDOW)])
        for k in range(WINDOW):
            frame[f"gap_{k}"] = self.gaps[:, k]
        frame["position"] = self.position
        return frame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "Windows":
        return cls(frame[[f"type_{k}" for k in range(WINDOW)]].to_numpy(np.int64),
                   frame[[f"gap_{k}" for k in range(WINDOW)]].to_numpy(np.float32),
                   frame["position"].to_numpy(np.float32))


def build_windows(session: np.ndarray, event_type: np.ndarray, seconds: np.ndarray,
                  event_index: np.ndarray) -> tuple[Windows, np.ndarray]:
    """Windows and next-action targets from events sorted by (session, event_index)."""
    n = len(session)
    tokens = np.full((n, WINDOW), PAD, np.int64)
    gaps = np.zeros((n, WINDOW), np.float32)
    log_gap = np.log1p(np.nan_to_num(seconds.astype(np.float64), nan=0.0)).astype(np.float32)
    for k in range(min(WINDOW, n)):
        same = session[k:] == session[:n - k]  # the event k steps back is in the same session
        tokens[k:, k] = np.where(same, event_type[:n - k], PAD)
        gaps[k:, k] = np.where(same, log_gap[:n - k], 0.0)
    target = np.full(n, END, np.int64)
    continues = session[1:] == session[:-1]
    target[:-1][continues] = event_type[1:][continues]
    return Windows(tokens, gaps, np.log1p(event_index.astype(np.float32))), target


# --- reading sessions from the warehouse -----------------------------------------------------------
_EVENTS_OF_SESSIONS_SQL = f"""
SELECT s.session_number, e.event_index, e.event_type_rank, e.seconds_since_previous
FROM {EVENTS_TABLE} e JOIN chosen s USING (session_key)
ORDER BY s.session_number, e.event_index
"""


def _read(con: duckdb.DuckDBPyConnection, chosen_sql: str, params: dict) -> tuple[Windows, np.ndarray, np.ndarray]:
    con.execute(f"CREATE OR REPLACE TEMP TABLE chosen AS {chosen_sql}", params)
    data = con.execute(_EVENTS_OF_SESSIONS_SQL).fetchnumpy()
    con.execute("DROP TABLE chosen")
    session = np.asarray(data["session_number"], np.int64)
    windows, target = build_windows(session, np.asarray(data["event_type_rank"], np.int64),
                                    np.asarray(data["seconds_since_previous"], np.float64),
                                    np.asarray(data["event_index"], np.int64))
    return windows, target, session


def split_time(con: duckdb.DuckDBPyConnection, test_share: float = 0.2):
    """The session start time after which the last `test_share` of sessions begins."""
    return con.execute("SELECT quantile_disc(started_at, ?) FROM marts.event_sessions", [1 - test_share]).fetchone()[0]


def read_split(con: duckdb.DuckDBPyConnection, split_at, max_train_events: int, max_test_events: int,
               seed: int = 0) -> tuple[Windows, np.ndarray, Windows, np.ndarray]:
    """Train on sessions started before `split_at`, test on the rest; each side is a hash sample of whole
    sessions holding about its maximum number of events."""
    totals = dict(con.execute("SELECT started_at < ?, sum(events) FROM marts.event_sessions GROUP BY 1",
                              [split_at]).fetchall())
    out = []
    for before, cap in ((True, max_train_events), (False, max_test_events)):
        share = min(1.0, cap / max(int(totals.get(before, 0) or 0), 1))
        sql = ("SELECT session_key, row_number() OVER (ORDER BY session_key) AS session_number "
               "FROM marts.event_sessions WHERE (started_at < $split) = $before "
               "AND hash(session_key || $seed) % 1000000 < $keep")
        windows, target, _ = _read(con, sql, {"split": split_at, "before": before, "seed": str(seed),
                                              "keep": int(share * 1_000_000)})
        out += [windows, target]
    return tuple(out)


def read_live_sessions(con: duckdb.DuckDBPyConnection, gap_minutes: int = 30) -> tuple[pd.DataFrame, Windows]:
    """Sessions whose last event is within one session gap of the newest event: still open when the data
    ends. Returns one row per session (key, customer, counts) and the window at its last event."""
    live = (f"FROM marts.event_sessions WHERE ended_at >= (SELECT max(ended_at) FROM marts.event_sessions) "
            f"- INTERVAL {int(gap_minutes)} MINUTE")
    windows, _, session = _read(con, f"SELECT session_key, row_number() OVER (ORDER BY session_key) AS session_number "
                                     f"{live}", {})
    sessions = con.execute(f"SELECT session_key, customer_id, started_at, ended_at AS last_event_at, events, carts, "
                           f"purchases {live} ORDER BY session_key").df()
    last = np.flatnonzero(np.r_[session[1:] != session[:-1], True]) if len(session) else np.array([], int)
    return sessions, windows.take(last)


# --- the three models --------------------------------------------------------------------------------
class MarkovChain:
    """P(next | last two types), smoothed with 5 pseudo-counts toward P(next | last type) (itself add-one)."""

    name = "markov_chain"

    def fit(self, windows: Windows, target: np.ndarray) -> "MarkovChain":
        last, before = windows.tokens[:, 0], windows.tokens[:, 1]
        first = np.bincount(last * len(ACTIONS) + target, minlength=N_TYPES * len(ACTIONS)).reshape(N_TYPES, -1)
        self.first = (first + 1) / (first + 1).sum(axis=1, keepdims=True)
        second = np.bincount((before * N_TYPES + last) * len(ACTIONS) + target,
                             minlength=(N_TYPES + 1) * N_TYPES * len(ACTIONS)).reshape(N_TYPES + 1, N_TYPES, -1)
        prior = 5.0 * self.first[None, :, :]
        self.second = (second + prior) / (second + prior).sum(axis=2, keepdims=True)
        return self

    def predict_proba(self, windows: Windows) -> np.ndarray:
        return self.second[windows.tokens[:, 1], windows.tokens[:, 0]]


def ngram_features(windows: Windows) -> np.ndarray:
    """Counts of each 1-, 2- and 3-gram of types in the window, the last three types, the last gap, position."""
    tokens, n = windows.tokens, len(windows)
    rows = np.arange(n)
    blocks = []
    for order in (1, 2, 3):
        code = np.zeros(n, np.int64)
        valid = np.ones(n, bool)
        counts = np.zeros((n, N_TYPES ** order), np.float32)
        for start in range(WINDOW - order + 1):
            code[:] = 0
            valid[:] = True
            for j in range(order):  # oldest first
                token = tokens[:, start + order - 1 - j]
                valid &= token != PAD
                code = code * N_TYPES + np.minimum(token, N_TYPES - 1)
            counts += np.bincount(rows[valid] * N_TYPES ** order + code[valid],
                                  minlength=n * N_TYPES ** order).reshape(n, -1).astype(np.float32)
        blocks.append(counts)
    return np.hstack(blocks + [tokens[:, :3].astype(np.float32), windows.gaps[:, :2],
                               windows.position[:, None]])


class NgramLightGBM:
    name = "lightgbm_ngrams"

    def __init__(self, seed: int = 0, n_estimators: int = 150):
        self.model = LGBMClassifier(objective="multiclass", n_estimators=n_estimators, learning_rate=0.1,
                                    num_leaves=31, min_child_samples=50, max_bin=63, subsample=0.8, subsample_freq=1,
                                    random_state=seed, n_jobs=2, verbose=-1)

    def fit(self, windows: Windows, target: np.ndarray) -> "NgramLightGBM":
        self.model.fit(ngram_features(windows), target)
        return self

    def predict_proba(self, windows: Windows) -> np.ndarray:
        proba = np.zeros((len(windows), len(ACTIONS)))
        proba[:, self.model.classes_] = self.model.predict_proba(ngram_features(windows))
        return proba


class _GRUNet(torch.nn.Module):
    def __init__(self, hidden: int = 64, embedding: int = 16):
        super().__init__()
        self.embed = torch.nn.Embedding(N_TYPES + 1, embedding)
        self.gru = torch.nn.GRU(embedding + 1, hidden, batch_first=True)
        self.head = torch.nn.Sequential(torch.nn.Linear(hidden + 1, hidden), torch.nn.ReLU(),
                                        torch.nn.Linear(hidden, len(ACTIONS)))

    def forward(self, tokens: torch.Tensor, gaps: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        # columns run newest -> oldest; the GRU reads oldest -> newest
        x = torch.cat([self.embed(tokens.flip(1)), gaps.flip(1).unsqueeze(-1)], dim=-1)
        _, h = self.gru(x)
        return self.head(torch.cat([h[-1], position.unsqueeze(-1)], dim=-1))


class GRUNextAction:
    """A one-layer GRU over the window's type embeddings and gaps, trained with Adam on CPU."""

    name = "gru"

    def __init__(self, seed: int = 0, epochs: int = 4, batch_size: int = 512, learning_rate: float = 3e-3):
        self.seed, self.epochs, self.batch_size, self.learning_rate = seed, epochs, batch_size, learning_rate

    def fit(self, windows: Windows, target: np.ndarray) -> "GRUNextAction":
        torch.manual_seed(self.seed)
        self.net = _GRUNet()
        optimiser = torch.optim.Adam(self.net.parameters(), lr=self.learning_rate)
        tokens, gaps, position = self._tensors(windows)
        y = torch.from_numpy(target)
        generator = torch.Generator().manual_seed(self.seed)
        self.net.train()
        for _ in range(self.epochs):
            for batch in torch.randperm(len(y), generator=generator).split(self.batch_size):
                optimiser.zero_grad()
                loss = torch.nn.functional.cross_entropy(self.net(tokens[batch], gaps[batch], position[batch]), y[batch])
                loss.backward()
                optimiser.step()
        self.net.eval()
        return self

    def predict_proba(self, windows: Windows) -> np.ndarray:
        tokens, gaps, position = self._tensors(windows)
        out = []
        with torch.no_grad():
            for start in range(0, len(windows), 65536):
                part = slice(start, start + 65536)
                out.append(torch.softmax(self.net(tokens[part], gaps[part], position[part]), dim=-1).numpy())
        return np.concatenate(out) if out else np.zeros((0, len(ACTIONS)))

    @staticmethod
    def _tensors(windows: Windows):
        return (torch.from_numpy(windows.tokens), torch.from_numpy(windows.gaps.astype(np.float32)),
                torch.from_numpy(windows.position.astype(np.float32)))


def evaluate(target: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Macro-F1 over the actions that occur (in the targets or the predictions), the purchase class's precision
    and recall, accuracy and log loss."""
    predicted = proba.argmax(axis=1)
    clipped = np.clip(proba, 1e-7, 1)
    precision, recall, _, _ = precision_recall_fscore_support(target, predicted, labels=[PURCHASE], zero_division=0)
    return {"macro_f1": float(f1_score(target, predicted, average="macro", zero_division=0)),  # actions seen
            "purchase_precision": float(precision[0]), "purchase_recall": float(recall[0]),
            "accuracy": float((predicted == target).mean()),
            "log_loss": float(log_loss(target, clipped / clipped.sum(axis=1, keepdims=True),
                                       labels=list(range(len(ACTIONS)))))}


def action_shares(target: np.ndarray) -> dict[str, float]:
    counts = np.bincount(target, minlength=len(ACTIONS))
    return {a: float(c / max(len(target), 1)) for a, c in zip(ACTIONS, counts)}



class NextActionPyfunc(mlflow.pyfunc.PythonModel):
    """The chosen model behind one interface: input Windows.to_frame(), output p_<action> per row."""

    def __init__(self, model):
        self.model = model

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        proba = self.model.predict_proba(Windows.from_frame(model_input))
        return pd.DataFrame(proba, columns=[f"p_{a}" for a in ACTIONS])
