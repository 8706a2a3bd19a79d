"""Rasch (1PL) item difficulties by conditional maximum likelihood (CML).

For one test form with k items scored right/wrong, the raw score r (how many items a student
got right) is sufficient for ability, so the conditional likelihood needs only two small
tables, both computed by the engine in SQL: how many students have each raw score, and how
many of the students with 0 < r < k got each item right. The estimate is exact CML, and its
cost does not grow with the number of students.

log L(β) = Σ_i s_i β_i − Σ_r n_r log γ_r(ε), with ε = exp(β), β = −b and γ the elementary
symmetric functions. γ without item i comes from products of prefix and suffix polynomials
(sums of positive terms only, so no cancellation however many items). BFGS maximises it;
difficulties are centred to mean 0 within the form. Checked against girth's
`rasch_conditional` in tests/test_centre_stats.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize


@dataclass
class RaschFit:
    difficulty: np.ndarray  # b per item, mean 0 over the items with a finite b
    se: np.ndarray  # from the conditional information's diagonal
    iterations: int
    converged: bool
    persons: int  # students with 0 < r < k, who carry information


def _esf_parts(eps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(γ_0..γ_k, γ^(i)_0..γ^(i)_(k−1) for every item i)."""
    k = len(eps)
    prefix = [np.ones(1)]
    for e in eps:
        prefix.append(np.convolve(prefix[-1], [1.0, e]))
    suffix = [np.ones(1)]
    for e in eps[::-1]:
        suffix.append(np.convolve(suffix[-1], [1.0, e]))
    suffix = suffix[::-1]  # suffix[i] = γ of items i..k−1
    without = np.array([np.convolve(prefix[i], suffix[i + 1]) for i in range(k)])
    return prefix[k], without


def _objective(beta: np.ndarray, s: np.ndarray, counts: np.ndarray) -> tuple[float, np.ndarray]:
    """−log L and its gradient; `counts[r]` for r = 0..m."""
    shift = beta.max()  # ε ≤ 1 keeps γ in range; the shift cancels in the likelihood
    eps = np.exp(beta - shift)
    gamma, without = _esf_parts(eps)
    m = len(eps)
    r = np.arange(1, m)
    loglik = s @ (beta - shift) - counts[r] @ np.log(gamma[r])
    p = eps[:, None] * without[:, r - 1] / gamma[r][None, :]  # P(item i right | raw score r)
    gradient = s - p @ counts[r]
    return -loglik, -gradient


def fit(right: np.ndarray, score_counts: np.ndarray) -> RaschFit:
    """`right[i]`: students with 0 < r < k who got item i right; `score_counts[r]`: students
    with raw score r (r = 0..k; the ends carry no information). An item none (or all) of them
    got right has no finite difficulty: +inf (or −inf), and the others are estimated without it."""
    right = np.asarray(right, dtype=float)
    counts = np.asarray(score_counts, dtype=float)
    k = len(right)
    if len(counts) != k + 1:
        raise ValueError(f"score_counts needs {k + 1} entries (raw scores 0..{k}), got {len(counts)}")
    persons = int(counts[1:k].sum())
    b, se = np.full(k, np.nan), np.full(k, np.nan)
    never, always = right <= 0, right >= persons
    b[never], b[always] = np.inf, -np.inf
    live = ~(never | always)
    m = int(live.sum())
    if persons == 0 or m < 2:
        return RaschFit(b, se, 0, False, persons)
    # An item everybody got right adds 1 to every raw score: drop it and shift the scores.
    shift = int(always.sum())
    nn = np.zeros(m + 1)
    for r in range(1, k):
        if 0 < r - shift < m:
            nn[r - shift] += counts[r]
    s = right[live]
    start = np.log(s / np.maximum(nn.sum() - s, 0.5))
    result = minimize(_objective, start - start.mean(), args=(s, nn), jac=True, method="BFGS",
                      options={"gtol": 1e-6 * max(1.0, nn.sum()), "maxiter": 500})
    beta = result.x - result.x.mean()
    eps = np.exp(beta - beta.max())
    gamma, without = _esf_parts(eps)
    r = np.arange(1, m)
    p = eps[:, None] * without[:, r - 1] / gamma[r][None, :]
    info = (p * (1 - p)) @ nn[r]
    b[live] = -beta
    se[live] = 1.0 / np.sqrt(np.maximum(info, 1e-12))
    return RaschFit(b, se, int(result.nit), bool(result.success), persons)
