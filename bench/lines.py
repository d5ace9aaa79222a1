"""Result files (JSONL, one configuration a line) keyed by configuration, for the bench
scripts. Standard library only."""
import json

# The int8 products of a configuration, as the result lines name them.
INT8_PRODUCTS = ("rowwise_fwd", "rowwise_bwd", "global_fwd", "global_bwd")


def load(*paths):
    """Lines keyed by (batch_size, dim_in, dim_out); a later file's line replaces an earlier
    one; empty paths are skipped."""
    rows = {}
    for path in filter(None, paths):
        with open(path) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    rows[(r["batch_size"], r["dim_in"], r["dim_out"])] = r
    return rows
