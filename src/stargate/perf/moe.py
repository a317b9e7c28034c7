"""Expert-parallel token routing on the links it crosses.

A token's ``top_k`` routed copies go to experts spread evenly over the ``ep`` ranks of its expert-parallel
group; ranks are consecutive in the expert mesh (Megatron-Core: expert TP innermost, then EP), so a group
spans ``ceil(ep / domain)`` scale-up domains (NVLink node, NVL72 rack, TPU slice) with ``ep / n_domains``
ranks in each. Copies to ranks of the same domain move over the scale-up links, the others over the
scale-out NIC.

Node-limited routing (DeepSeek-V3 technical report, arXiv:2412.19437, Sec. 2.1.2 and 3.2.2): each token
goes to at most ``node_limit`` domains (DeepSeek-V3: 4), is sent once over the NIC to each remote domain
touched and forwarded inside it over NVLink. The expected number of domains touched by ``k`` copies
spread evenly over ``n`` domains is ``n (1 - (1 - 1/n)^k)``, capped by the limit; the token's own domain
is among them with probability ``1/n`` per domain touched. Without a limit (Megatron-Core's all-to-all
dispatcher) each remote copy crosses the NIC by itself.

Payloads (DeepSeek-V3 Sec. 3.3.2): the dispatch is quantised to FP8 when the linear layers run in FP8
or FP4 (1 byte per element plus one fp32 scale per 128 elements), the combine stays in BF16; the backward
pass moves both directions in BF16.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FP8_DISPATCH_BYTES = 1.0 + 4.0 / 128   # e4m3 element + fp32 scale per 128-element tile [B]
BF16_BYTES = 2.0
SCHEDULES = ("1f1b", "interleaved", "dualpipe")
# DeepSeek-V3 Sec. 3.2.2: 20 of the H800's 132 SMs run the all-to-all kernels while the rest compute
DUALPIPE_COMM_SM_FRACTION = 20 / 132


@dataclass(frozen=True)
class MoeRouting:
    """How an MoE run routes and overlaps its tokens (defaults: Megatron-Core's all-to-all under 1F1B).

    ``node_limit``   most scale-up domains a token may be sent to (DeepSeek-V3: 4), None = unlimited.
    ``schedule``     "1f1b" / "interleaved" (all-to-all partly exposed: the calibrated fraction) or
                     "dualpipe" (DeepSeek-V3 Sec. 3.2.1: forward and backward chunks of two micro-batches
                     interleaved so that all-to-all and pipeline communication are fully hidden; its bubble
                     is (pp/2 - 1) chunk pairs instead of pp - 1).
    ``imbalance``    busiest / mean expert load; None = the calibration's value (1.0: force-balanced
                     benchmark routing).
    """

    node_limit: int | None = None
    schedule: str = "1f1b"
    imbalance: float | None = None


def routed_copies(ep: np.ndarray, domain: int | np.ndarray, top_k: int, node_limit: int | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(scale-up copies, scale-out transfers) per token and direction, for EP groups of ``ep`` ranks.

    ``domain`` is the group's ranks per scale-up domain (a scalar or one per layout): the step model passes
    the smallest piece of the group in one domain under its placement, gcd(ranks per domain, ep)
    (stargate.perf.step.link), so a group straddling two NVL72 racks counts its far piece as remote.

    Returns
    -------
    local : copies a rank sends over its scale-up links (other ranks of its own domain, or forwarded
            inside a remote domain after a node-limited transfer counts against that domain's links). [-]
    remote : transfers a rank sends over its NIC (one per remote domain when node-limited, else one per
             remote copy). [-]
    """
    ep = np.asarray(ep, dtype=np.float64)
    k = float(top_k)
    n_dom = np.maximum(np.ceil(ep / domain), 1.0)
    per_dom = ep / n_dom
    local = k * (per_dom - 1) / ep
    remote = k * (ep - per_dom) / ep
    if node_limit is not None:
        touched = np.minimum(n_dom * (1 - (1 - 1 / n_dom) ** k), float(node_limit))
        deduped = touched * (n_dom - 1) / n_dom
        # forwarded inside the receiving domain: every copy not for the receiving rank itself
        forwarded = k * (per_dom - 1) / per_dom
        spread = n_dom > 1
        remote = np.where(spread, deduped, remote)
        local = np.where(spread, forwarded, local)
    return local, remote


def dispatch_bytes(precision: str) -> float:
    """Bytes per element of the forward dispatch: FP8 with the FP8/FP4 recipes, else BF16."""
    return FP8_DISPATCH_BYTES if precision in ("fp8", "fp4") else BF16_BYTES
