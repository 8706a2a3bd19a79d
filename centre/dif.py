"""Mantel–Haenszel DIF between the Kazakh (reference) and Russian (focal) forms of an item,
with the ETS A/B/C categories.

Students are matched on their total score in the item's subject (the item included, as ETS
does); within each score level k the 2×2 table is A (reference right), B (reference wrong),
C (focal right), D (focal wrong), T = A+B+C+D. Right means full points.

  α_MH = Σ A·D/T / Σ B·C/T        MH D-DIF = −2.35 · ln α_MH
  SE(ln α) by Robins, Breslow and Greenland (1986); the MH χ² with continuity correction.

ETS (Zwick 2012): A when |D| < 1 or χ² is not significant at 5%; C when |D| ≥ 1.5 and |D| is
significantly greater than 1 (one-sided 5%); B otherwise. A negative D favours the reference
group: the item is harder for Russian-form students of the same total score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CHI2_5PCT = 3.841  # χ²(1) at 5%
Z_ONE_SIDED_5PCT = 1.645


@dataclass(frozen=True)
class Stratum:
    ref_right: int
    ref_n: int
    focal_right: int
    focal_n: int


@dataclass(frozen=True)
class MHResult:
    d_dif: float | None
    se: float | None
    chi2: float | None
    category: str  # "A", "B", "C", or "" when it cannot be computed
    sign: str  # "-" favours reference (kk), "+" favours focal (ru), "" for A
    ref_n: int
    focal_n: int


def mantel_haenszel(strata: list[Stratum]) -> MHResult:
    num = den = 0.0
    pr = ps_qr = qs = 0.0
    sum_a = expected = variance = 0.0
    ref_total = focal_total = 0
    rs: list[tuple[float, float, float, float]] = []
    for k in strata:
        t = k.ref_n + k.focal_n
        ref_total += k.ref_n
        focal_total += k.focal_n
        if k.ref_n == 0 or k.focal_n == 0 or t < 2:
            continue
        a, b = k.ref_right, k.ref_n - k.ref_right
        c, d = k.focal_right, k.focal_n - k.focal_right
        r, s = a * d / t, b * c / t
        num += r
        den += s
        rs.append(((a + d) / t, (b + c) / t, r, s))
        right, wrong = a + c, b + d
        sum_a += a
        expected += k.ref_n * right / t
        variance += k.ref_n * k.focal_n * right * wrong / (t * t * (t - 1))
    if num <= 0 or den <= 0:
        return MHResult(None, None, None, "", "", ref_total, focal_total)
    alpha = num / den
    d_dif = -2.35 * math.log(alpha)
    for p, q, r, s in rs:
        pr += p * r
        ps_qr += p * s + q * r
        qs += q * s
    var_log = pr / (2 * num * num) + ps_qr / (2 * num * den) + qs / (2 * den * den)
    se = 2.35 * math.sqrt(var_log)
    chi2 = (abs(sum_a - expected) - 0.5) ** 2 / variance if variance > 0 else 0.0
    category = ets_category(d_dif, se, chi2)
    sign = "" if category == "A" else ("-" if d_dif < 0 else "+")
    return MHResult(d_dif, se, chi2, category, sign, ref_total, focal_total)


def ets_category(d_dif: float, se: float, chi2: float) -> str:
    size = abs(d_dif)
    if size < 1.0 or chi2 < CHI2_5PCT:
        return "A"
    if size >= 1.5 and (size - 1.0) / se > Z_ONE_SIDED_5PCT:
        return "C"
    return "B"
