"""Did a forum action work? Before/after counts in a target area, the ring around it
(displacement buffer) and a control area, turned into the measures of Bowers & Johnson
and a plain-language verdict.

Notation (Bowers & Johnson 2003; Guerette 2009, appendix B): R = response (target)
area, D = displacement buffer (the ring), C = control area; suffix b = before the
action, a = after it. Both periods have equal length (`equal_periods`).

    gross effect      GE  = Rb - Ra                       > 0: fewer crimes in target
    net effect        NE  = Rb/Cb - Ra/Ca                 > 0: fell relative to control
    success measure   SM  = Ra/Ca - Rb/Cb                 < 0: the action succeeded
    buffer measure    BDM = Da/Ca - Db/Cb                 > 0: displacement, < 0: diffusion
    WDQ               = BDM / SM                          only when SM < 0
    total net effect  TNE = [Rb(Ca/Cb) - Ra] + [Db(Ca/Cb) - Da]   crimes prevented, net

WDQ reading (Guerette 2009, appendix C): > 1 diffusion larger than the direct effect;
0 to 1 some diffusion; 0 nothing moved; -1 to 0 displacement smaller than the gain;
< -1 displacement erased the gain. Multiplying through by Ca shows WDQ = (crimes
prevented in the ring) / (crimes prevented in the target), and TNE = target prevented x
(1 + WDQ): a positive TNE is crimes prevented overall.

Every undefined case returns `value=None` with the reason, never a division error:
a control area with no incidents before or after (every ratio divides by Cb or Ca),
and no fall in the target (WDQ measures the displacement of an effect; Bowers &
Johnson attribute displacement only where crime fell in the target area, so with
SM >= 0 the WDQ is None, not 0 or infinity). Ratcliffe's WDQ spreadsheet only warns
on any zero cell; here each zero is explained instead.

Small numbers (`SMALL_*`): a result is flagged when the target had fewer than 20
incidents before, the control fewer than 10 in either period, or (for ring measures)
the ring fewer than 10 in both periods. Below these counts chance alone (Poisson
spread of about the square root of the count) moves a result as much as an action
would, so the verdict says "Too few incidents to say". A target that fell to few or
no incidents after the action is an outcome, not a small number.

Verdict: a change counts as measurable when the Poisson rate-ratio test against the
control (`rate_ratio_z`) gives |z| >= 1.96; the target is tested first, then the
ring, whose direction (and the WDQ beyond -1) picks the wording.

References: K. J. Bowers and S. D. Johnson (2003), Measuring the geographical
displacement and diffusion of benefit effects of crime prevention activity, Journal of
Quantitative Criminology 19(3), 275-301. R. T. Guerette (2009), Analyzing crime
displacement and diffusion, Problem-Oriented Guides for Police, Tool Guide No. 10.
J. H. Ratcliffe, WDQ spreadsheet calculator (jratcliffe.net).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

SMALL_TARGET_BEFORE = 20
SMALL_CONTROL = 10
SMALL_RING = 10
# Two-sided 5% level for the Poisson rate-ratio test that decides "measurable".
Z_MEASURABLE = 1.96

MEASURES = (
    "gross_effect",
    "net_effect",
    "success_measure",
    "buffer_displacement",
    "wdq",
    "total_net_effect",
)


@dataclass(frozen=True)
class ImpactCounts:
    """Incident counts in the three areas over two equal periods."""

    target_before: float
    target_after: float
    buffer_before: float
    buffer_after: float
    control_before: float
    control_after: float

    def __post_init__(self) -> None:
        if any(v < 0 or math.isnan(v) for v in self.as_tuple()):
            raise ValueError(f"counts must be non-negative numbers, got {self}")

    def as_tuple(self) -> tuple[float, float, float, float, float, float]:
        return (
            self.target_before,
            self.target_after,
            self.buffer_before,
            self.buffer_after,
            self.control_before,
            self.control_after,
        )


@dataclass(frozen=True)
class Measure:
    """One coefficient: its value (None when undefined), what it means, and whether
    the counts behind it are too small to trust."""

    name: str
    value: float | None
    interpretation: str
    small_numbers: bool


@dataclass(frozen=True)
class Verdict:
    """Plain-language outcome. `code` is one of: too_few, no_change, rose, fell,
    fell_contained, displacement, displacement_exceeds, diffusion."""

    code: str
    headline: str
    detail: str
    small_numbers: bool


@dataclass(frozen=True)
class ImpactResult:
    counts: ImpactCounts
    measures: dict[str, Measure]
    verdict: Verdict

    def frame(self) -> pd.DataFrame:
        """One row per measure: name, value, interpretation, small_numbers."""
        return pd.DataFrame([vars(m) for m in self.measures.values()])


def _small_target(c: ImpactCounts) -> bool:
    return c.target_before < SMALL_TARGET_BEFORE


def _small_control(c: ImpactCounts) -> bool:
    return min(c.control_before, c.control_after) < SMALL_CONTROL


def _small_ring(c: ImpactCounts) -> bool:
    return max(c.buffer_before, c.buffer_after) < SMALL_RING


def _control_reason(c: ImpactCounts) -> str | None:
    """Why control-relative measures are undefined, or None when they are defined."""
    if c.control_before == 0 and c.control_after == 0:
        return "undefined: the control area had no incidents in either period"
    if c.control_before == 0:
        return "undefined: the control area had no incidents before the action"
    if c.control_after == 0:
        return (
            "undefined: the control area had no incidents after the action "
            "(often missing data for that period)"
        )
    return None


def gross_effect(c: ImpactCounts) -> Measure:
    value = c.target_before - c.target_after
    if value > 0:
        text = f"{value:g} fewer incidents in the target area after the action"
    elif value < 0:
        text = f"{-value:g} more incidents in the target area after the action"
    else:
        text = "the same number of incidents in the target area before and after"
    return Measure("gross_effect", value, text, _small_target(c))


def net_effect(c: ImpactCounts) -> Measure:
    small = _small_target(c) or _small_control(c)
    reason = _control_reason(c)
    if reason:
        return Measure("net_effect", None, reason, small)
    value = c.target_before / c.control_before - c.target_after / c.control_after
    text = _signed(
        value,
        "target fell relative to the control area",
        "target rose relative to the control area",
        "target changed exactly like the control area",
    )
    return Measure("net_effect", value, text, small)


def success_measure(c: ImpactCounts) -> Measure:
    small = _small_target(c) or _small_control(c)
    reason = _control_reason(c)
    if reason:
        return Measure("success_measure", None, reason, small)
    value = c.target_after / c.control_after - c.target_before / c.control_before
    text = _signed(
        -value,
        "success: the target fell more than the control area",
        "no success: the target did not fall relative to the control area",
        "no success: the target changed exactly like the control area",
    )
    return Measure("success_measure", value, text, small)


def buffer_displacement(c: ImpactCounts) -> Measure:
    small = _small_ring(c) or _small_control(c)
    reason = _control_reason(c)
    if reason:
        return Measure("buffer_displacement", None, reason, small)
    value = c.buffer_after / c.control_after - c.buffer_before / c.control_before
    if c.buffer_before == 0 and c.buffer_after == 0:
        text = "no incidents in the ring in either period: nothing recorded moved there"
    else:
        text = _signed(
            value,
            "possible displacement: the ring rose relative to the control area",
            "possible diffusion of benefits: the ring fell relative to the control area",
            "the ring changed exactly like the control area",
        )
    return Measure("buffer_displacement", value, text, small)


def wdq(c: ImpactCounts) -> Measure:
    """Weighted Displacement Quotient, BDM / SM, defined only when SM < 0."""
    small = _small_target(c) or _small_control(c) or _small_ring(c)
    sm = success_measure(c).value
    if sm is None:
        return Measure("wdq", None, _control_reason(c) or "", small)
    if sm >= 0:
        why = (
            "undefined: crime did not fall in the target area relative to the control "
            "area, so there is no effect that could have been displaced"
        )
        return Measure("wdq", None, why, small)
    value = buffer_displacement(c).value / sm + 0.0  # + 0.0 turns -0.0 into 0.0
    return Measure("wdq", value, _wdq_reading(value), small)


def _wdq_reading(value: float) -> str:
    if value > 1:
        return "diffusion of benefits larger than the effect in the target area"
    if value > 0:
        return "diffusion of benefits: the ring also improved, less than the target"
    if value == 0:
        return "no displacement and no diffusion"
    if value >= -1:
        return "displacement smaller than the gain: the action still helped overall"
    return "displacement larger than the gain: the action made things worse overall"


def total_net_effect(c: ImpactCounts) -> Measure:
    small = _small_target(c) or _small_control(c) or _small_ring(c)
    reason = _control_reason(c)
    if reason:
        return Measure("total_net_effect", None, reason, small)
    ratio = c.control_after / c.control_before
    value = (c.target_before * ratio - c.target_after) + (c.buffer_before * ratio - c.buffer_after)
    text = _signed(
        value,
        f"about {value:.0f} incidents prevented in target and ring together",
        f"about {-value:.0f} more incidents in target and ring together than expected",
        "no net change in target and ring together",
    )
    return Measure("total_net_effect", value, text, small)


def _signed(value: float, positive: str, negative: str, zero: str) -> str:
    return positive if value > 0 else negative if value < 0 else zero


def rate_ratio_z(after: float, before: float, control_after: float, control_before: float) -> float:
    """z of log[(after/before)/(control_after/control_before)] under Poisson counts.

    Its standard error is sqrt(1/a + 1/b + 1/ca + 1/cb); when any count is 0 every
    count gets +0.5 (Haldane's correction) so the z stays finite. Negative z: the
    area fell relative to the control.
    """
    counts = (after, before, control_after, control_before)
    half = 0.5 if min(counts) == 0 else 0.0
    a, b, ca, cb = (x + half for x in counts)
    return (math.log(a / b) - math.log(ca / cb)) / math.sqrt(1 / a + 1 / b + 1 / ca + 1 / cb)


def verdict(c: ImpactCounts) -> Verdict:
    """The plain-language verdict: small numbers first, then the target (rate-ratio
    test against the control), then the ring, read through the WDQ sign."""
    numbers = (
        f"Target area {c.target_before:g} before, {c.target_after:g} after; "
        f"ring {c.buffer_before:g} before, {c.buffer_after:g} after; "
        f"control {c.control_before:g} before, {c.control_after:g} after."
    )
    if _control_reason(c) or _small_target(c) or _small_control(c):
        return Verdict(
            "too_few",
            "Too few incidents to say",
            f"{numbers} Needs at least {SMALL_TARGET_BEFORE} incidents in the target "
            f"area before and {SMALL_CONTROL} in the control area in each period; with "
            "fewer, chance moves the numbers as much as an action would.",
            True,
        )
    z = rate_ratio_z(c.target_after, c.target_before, c.control_after, c.control_before)
    if abs(z) < Z_MEASURABLE:
        return Verdict(
            "no_change",
            "No measurable change",
            f"{numbers} The target area changed in line with the control area "
            "(within chance variation).",
            False,
        )
    if z > 0:
        return Verdict(
            "rose",
            "Crime rose in the target area compared with the control area",
            numbers,
            False,
        )
    return _ring_verdict(c, numbers)


def _ring_verdict(c: ImpactCounts, numbers: str) -> Verdict:
    if _small_ring(c):
        return Verdict(
            "fell",
            "Crime fell in the target area; too few incidents in the surrounding ring "
            "to say whether it moved",
            numbers,
            True,
        )
    z = rate_ratio_z(c.buffer_after, c.buffer_before, c.control_after, c.control_before)
    if abs(z) < Z_MEASURABLE:
        return Verdict(
            "fell_contained",
            "Crime fell in the target area and did not measurably move to the surrounding ring",
            numbers,
            False,
        )
    if z < 0:
        return Verdict(
            "diffusion",
            "Crime fell and the area around also benefited (diffusion of benefits)",
            numbers,
            False,
        )
    value = wdq(c).value
    if value is not None and value < -1:
        return Verdict(
            "displacement_exceeds",
            "Crime fell in the target area but more than that moved to the surrounding ring",
            numbers,
            False,
        )
    return Verdict(
        "displacement",
        "Crime fell in the target area and partly moved to the surrounding ring",
        numbers,
        False,
    )


def assess(c: ImpactCounts) -> ImpactResult:
    """All measures and the verdict for one set of counts."""
    funcs = (gross_effect, net_effect, success_measure, buffer_displacement, wdq, total_net_effect)
    return ImpactResult(c, {f.__name__: f(c) for f in funcs}, verdict(c))
