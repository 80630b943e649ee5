"""The bounded robust fit of ``c + a * x^-b`` with numpy alone (no ``scipy.optimize``).

The fit minimises the robust deviance ``F = sum(rho(r_i^2))`` of the residuals
``r_i = (c + a * x_i^-b - j_i) / sigma_i`` (``rho``: the ``soft_l1`` loss of
:mod:`._uncertainty`, scale 2) within ``c >= 0``, ``a >= 0``, ``B_MIN <= b <= B_MAX``.

**Variable projection.** For a fixed exponent ``b`` the curve is linear in ``(c, a)`` and
``F`` is strictly convex in them (``rho`` of a linear residual), so their best values in the
quadrant are exact: Newton's method (safeguarded by halving and by majorise-minimise
steps) for the unconstrained minimum, then, where that lies outside the quadrant, the minimum on each edge (``c = 0``;
``a = 0``) and the corner; the least candidate is the constrained minimum (a convex
function's minimum over a box lies in the interior or on a face, where it is that face's
own minimum). That leaves a 1-D search over the profile deviance ``P(b)``: a log-spaced grid
of exponents over the whole range (a global search, where a solver from a few starts finds
a local minimum), then the root of ``P'(b)`` next to the grid's least value, bracketed (the
grid refined around that value until ``P'`` turns from negative to positive next to it) and
narrowed (Illinois regula falsi, with points around its estimate) to rounding level. ``P'`` is
``dF/db`` at the inner minimum (the envelope theorem). When ``a = 0`` fits best every
exponent fits alike: ``b`` is then reported as its lower bound.
"""
from __future__ import annotations

import numpy as np

from ._uncertainty import F_SCALE, rho

B_MIN, B_MAX = 1e-3, 3.0  # the exponent's bounds
F_SCALE2 = F_SCALE ** 2
# the exponent reported when a = 0 (any exponent fits as well): the flat curve is the limit
# b -> 0 of c + a x^-b, and where a least-squares solver stops on such a curve
B_UNIDENTIFIED = B_MIN
GRID = 61  # exponents tried over [B_MIN, B_MAX], log-spaced (a step of 0.13 in log b)
_HALVINGS = 0.5 ** np.arange(1, 31)  # the fractions of a Newton step tried when the whole one overshoots
# where to look next within a bracket of P' = 0: around the regula-falsi estimate, and a few
# evenly spaced points should the estimate be far off (shares of the bracket's width)
_NEAR = np.array([-1e-2, -1e-4, -1e-6, 0.0, 1e-6, 1e-4, 1e-2])
_EVEN = np.array([0.25, 0.5, 0.75])


def power_fit(x: np.ndarray, j: np.ndarray, sigma: np.ndarray) -> tuple[float, float, float]:
    """The least robust deviance ``(c, a, b)`` of ``c + a * x^-b`` (``x``: sizes scaled by the
    largest, ``sigma``: the points' scales), within the bounds.

    >>> x = np.array([0.125, 0.25, 0.5, 1.0])
    >>> [round(v, 9) for v in power_fit(x, 0.1 + 0.2 * x ** -0.5, np.full(4, 0.01))]
    [0.1, 0.2, 0.5]
    >>> power_fit(x, np.array([0.1, 0.2, 0.3, 0.4]), np.full(4, 0.01))[1:]  # rising: a flat fit
    (0.0, 0.001)
    """
    x, j, sigma = (np.asarray(v, dtype=np.float64) for v in (x, j, sigma))
    curve = _Curve(1.0 / sigma, j / sigma, np.log(x))
    t = np.linspace(np.log(B_MIN), np.log(B_MAX), GRID)
    f, c, a, d, inner, edge = curve.profile(t)
    k = int(np.argmin(f))
    if a[k] == 0.0:  # a = 0 fits best: the exponent is not identified
        return float(c[k]), 0.0, B_UNIDENTIFIED
    for _ in range(12):
        best = (float(f[k]), float(c[k]), float(a[k]), float(t[k]))
        warm = (inner[k], float(edge[k]))
        last = len(t) - 1
        if d[k] == 0 or (d[k] < 0 and k == last) or (d[k] > 0 and k == 0):
            break  # P' is 0 here, or the least deviance is at a bound of b
        if d[k] < 0 and d[k + 1] > 0:
            best = _root(curve, (t[k], d[k]), (t[k + 1], d[k + 1]), best, warm)
            break
        if d[k] > 0 and d[k - 1] < 0:
            best = _root(curve, (t[k - 1], d[k - 1]), (t[k], d[k]), best, warm)
            break
        # P' does not change sign next to the least value: a local minimum lies between its
        # neighbours all the same (P is no higher there); look closer, 4 times at a time
        t = np.linspace(t[max(k - 1, 0)], t[min(k + 1, last)], 9)
        f, c, a, d, inner, edge = curve.profile(t, warm)
        k = int(np.argmin(f))
    return best[1], best[2], float(np.clip(np.exp(best[3]), B_MIN, B_MAX))


def _root(curve: _Curve, low: tuple, high: tuple, best: tuple, warm: tuple) -> tuple:
    """The local minimum of P next to the grid's least value: the root of P' where it turns
    from negative to positive, between ``low`` and ``high`` (log b, P'), narrowed until the
    bracket is 1e-12 wide (P' is rounding beyond). Returns ``(deviance, c, a, log b)``,
    never a deviance above ``best``'s (the grid's least) beyond rounding."""
    (lo, d_lo), (hi, d_hi) = low, high
    if not d_lo < 0 < d_hi:  # the grid's least value is no bracket of a root: keep it
        return best
    found = best
    weight = [1.0, 1.0]  # Illinois: an end kept twice running counts half in the estimate
    for _ in range(40):
        width = hi - lo
        w_lo, w_hi = -d_lo * weight[0], d_hi * weight[1]
        guess = lo + width * w_lo / (w_lo + w_hi)
        t = np.unique(np.concatenate([guess + width * _NEAR, lo + width * _EVEN]))
        t = t[(t > lo) & (t < hi)]
        if not len(t):
            break
        f, c, a, d, inner, edge = curve.profile(t, warm)
        k = int(np.argmin(np.abs(d)))
        found = (float(f[k]), float(c[k]), float(a[k]), float(t[k]))
        warm = (inner[k], float(edge[k]))
        if d[k] == 0:
            break
        up = np.flatnonzero(d > 0)
        i = int(up[0]) if len(up) else len(t)  # the first point past the root
        weight = [weight[0] / 2 if i == 0 else 1.0, weight[1] / 2 if i == len(t) else 1.0]
        if i > 0:
            lo, d_lo = float(t[i - 1]), float(d[i - 1])
        if i < len(t):
            hi, d_hi = float(t[i]), float(d[i])
        if hi - lo <= 1e-12 * max(1.0, abs(lo)):
            break
    # a point this close to the minimum has the least deviance but for rounding
    return found if found[0] <= best[0] * (1 + 1e-12) + curve.rounding else best


class _Curve:
    """The points of a curve, in units of their scales: ``u = 1 / sigma``, ``y = j / sigma``."""

    def __init__(self, u: np.ndarray, y: np.ndarray, log_x: np.ndarray) -> None:
        self.u, self.y, self.log_x = u, y, log_x
        c = _newton([u[None, :]], y)[0][0, 0]  # the constant curve (a = 0), any exponent
        self.flat_c = max(float(c), 0.0)
        self.flat_f = float(np.sum(rho((self.flat_c * u - y) ** 2)))
        # the rounding of a deviance: each residual is off by a few ulps of y_i, and the
        # deviance moves at most 2 * F_SCALE (|rho'|) per unit of residual
        self.rounding = 16 * np.finfo(np.float64).eps * F_SCALE * float(np.sum(np.abs(y)))

    def profile(self, t: np.ndarray, warm: tuple[np.ndarray, float] | None = None) -> tuple:
        """At each log-exponent ``t``: the least deviance over ``c, a >= 0``, those ``c, a``,
        P'(b) per unit of log b, and the unconstrained ``(c, a)`` and the ``a`` at ``c = 0``
        (nan where not needed) from which a nearby exponent's solves may start (``warm``)."""
        u, y, log_x = self.u, self.y, self.log_x
        b = np.exp(t)
        v = np.exp(-b[:, None] * log_x) * u  # (K, n): x^-b / sigma
        uu = np.broadcast_to(u, v.shape)
        k = len(t)
        inner, f = _newton([uu, v], y, None if warm is None else np.tile(warm[0], (k, 1)))
        c, a = inner[:, 0].copy(), inner[:, 1].copy()
        edge = np.full(k, np.nan)
        out = np.flatnonzero((c < 0) | (a < 0))  # the unconstrained minimum is outside the quadrant
        if len(out):
            start = None if warm is None or not np.isfinite(warm[1]) else np.full((len(out), 1), warm[1])
            solved, f_edge = _newton([v[out]], y, start)  # c = 0
            edge[out] = solved[:, 0]
            c[out], a[out] = 0.0, np.maximum(solved[:, 0], 0.0)
            f[out] = np.where(solved[:, 0] >= 0, f_edge, np.sum(rho(y * y)))  # or the corner
        # a = 0 (c >= 0, the corner included) where it fits as well, to rounding: a constant
        # curve's interior fit may land a hair off it, with a tiny a and any b
        flat = self.flat_f <= f + self.rounding
        c[flat], a[flat], f[flat] = self.flat_c, 0.0, self.flat_f
        r = c[:, None] * u + a[:, None] * v - y
        # dF/d(log b) = b * sum psi(r) dr/db, where dr/db = -a x^-b log x / sigma
        psi = 2 * r / np.sqrt(1 + r * r / F_SCALE2)
        d = -np.sum(psi * v * log_x, axis=1) * a * b
        return f, c, a, d, inner, edge


def _newton(cols: list[np.ndarray], y: np.ndarray, start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The unconstrained minimum of ``sum(rho((sum_q p_q cols[q] - y)^2))`` for each of K
    designs (1 or 2 columns, each (K, n)), from ``start`` or the least-squares fit: Newton steps where they
    lower the deviance, else a majorise-minimise step (least squares weighted by
    ``rho'(r^2)``, which never raises it; far-out residuals make Newton overshoot).
    Returns ``(p, deviance)``."""
    z0 = cols[0]
    z1 = cols[1] if len(cols) == 2 else None

    def fitted(q: np.ndarray) -> np.ndarray:
        return q[:, :1] * z0 + (q[:, 1:] * z1 if z1 is not None else 0.0)

    def fitted_rows(q: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return q[:, :1] * z0[rows] + (q[:, 1:] * z1[rows] if z1 is not None else 0.0)

    p = _solve(z0, z1, np.ones_like(z0), y) if start is None else start  # least squares: weights 1
    for _ in range(100):
        r = fitted(p) - y
        s = 1 + r * r / F_SCALE2
        root = np.sqrt(s)
        f0 = np.sum(2 * F_SCALE2 * (root - 1), axis=1)
        # Newton: H step = -grad, H = sum h z z', grad = sum psi z
        step = _solve(z0, z1, 2 / (s * root), -2 * r / root, newton=True)
        dr = fitted(step)
        # a step that moves the fit by under 1e-7 standard errors is taken whole (its change of
        # the deviance is rounding), after which Newton's quadratic convergence leaves nothing
        small = np.max(np.abs(dr), axis=1) <= 1e-7
        good = small | (np.sum(rho((r + dr) ** 2), axis=1) <= f0)
        if good.all():
            p = p + step
            if small.all():
                break
            continue
        # elsewhere the lowest of the Newton step halved (up to 30 times) and the MM step
        bad = np.flatnonzero(~good)
        tried = np.sum(rho((r[bad, None, :] + _HALVINGS[None, :, None] * dr[bad, None, :]) ** 2), axis=2)
        k = np.argmin(tried, axis=1)
        halved = p[bad] + _HALVINGS[k][:, None] * step[bad]
        mm = _solve(z0[bad], None if z1 is None else z1[bad], 1 / root[bad], y / root[bad])
        f_mm = np.sum(rho((fitted_rows(mm, bad) - y) ** 2), axis=1)
        f_half = tried[np.arange(len(bad)), k]
        moved = np.minimum(f_mm, f_half) < f0[bad]
        p = p + np.where(good[:, None], step, 0.0)
        p[bad] = np.where(moved[:, None], np.where((f_mm < f_half)[:, None], mm, halved), p[bad])
        if np.all(small[good]) and not moved.any():  # converged, or no step lowers the deviance
            break
    r = fitted(p) - y
    return p, np.sum(rho(r * r), axis=1)


def _solve(z0: np.ndarray, z1: np.ndarray | None, w: np.ndarray, e: np.ndarray, newton: bool = False) -> np.ndarray:
    """Per row k: the ``p`` of ``(sum w z z') p = sum e z`` (weighted normal equations of 1 or 2
    columns; ``e`` may be (n,), shared by every row)."""
    g0 = np.sum(e * z0, axis=1)
    h00 = np.sum(w * z0 * z0, axis=1)
    if z1 is None:
        return (g0 / h00)[:, None]
    g1 = np.sum(e * z1, axis=1)
    h01 = np.sum(w * z0 * z1, axis=1)
    h11 = np.sum(w * z1 * z1, axis=1)
    det = h00 * h11 - h01 * h01
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.stack([(h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det], axis=1)
    bad = ~np.isfinite(p).all(axis=1)
    if bad.any():  # a singular system: no move (Newton) or the least-squares fit of one column
        p[bad] = 0.0 if newton else np.stack([np.zeros(int(bad.sum())), g1[bad] / h11[bad]], axis=1)
    return p
