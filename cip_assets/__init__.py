"""CIP's assets. Process-wide settings that must precede any OpenMP runtime live here."""

import os

# idle OpenMP workers sleep instead of spinning: LightGBM, numba (BERTopic's UMAP) and torch share one
# process in a run, and spinning workers of one runtime starve the others (the encoder ran ~8x slower
# after BERTopic in the same run on 2 cores)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
