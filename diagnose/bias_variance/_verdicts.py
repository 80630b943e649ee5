"""The verdict words, defined once: the JSON word, its title, what it means and what to try.

>>> WORDS["high_variance"].title, VERDICTS[0]
('High variance', 'good_fit')
"""
from __future__ import annotations

from dataclasses import dataclass

VARIANCE_REMEDIES = (
    "Get more training examples",
    "Try a smaller set of features",
    "Increase regularisation (a larger lambda)",
)
BIAS_REMEDIES = (
    "Add features (more informative inputs)",
    "Add polynomial features or interactions",
    "Decrease regularisation (a smaller lambda)",
    "Try a larger model (more layers, units or trees)",
)
GOOD_FIT_ADVICE = (
    "Bias and variance gaps are both shown to be below the tolerance: confirm on the test split, "
    "then look at error categories (diagnose errors) for the next gains",
)


@dataclass(frozen=True)
class VerdictWord:
    """One verdict: ``name`` is the word in the JSON report."""

    name: str
    title: str
    meaning: str
    remedies: tuple[str, ...]


WORDS: dict[str, VerdictWord] = {w.name: w for w in (
    VerdictWord("good_fit", "Good fit", "Good fit: the bias and variance gaps are both shown to be below the "
                "tolerance.", GOOD_FIT_ADVICE),
    VerdictWord("high_bias", "High bias",
                "High bias: the model underfits; training error sits well above the reference.", BIAS_REMEDIES),
    VerdictWord("high_variance", "High variance",
                "High variance: the model overfits; cv error sits well above training error.",
                VARIANCE_REMEDIES),
    VerdictWord("high_bias_high_variance", "High bias and high variance",
                "High bias and high variance: training error is above the reference and cv error is well "
                "above training error.", BIAS_REMEDIES + VARIANCE_REMEDIES),
    VerdictWord("inconclusive", "Inconclusive",
                "Inconclusive: no gap counts, but the data cannot rule out a gap above the tolerance either.",
                ()),
)}
VERDICTS = tuple(WORDS)
VERDICT_WORDS = {name: w.meaning for name, w in WORDS.items()}  # word -> one sentence
VERDICT_TITLES = {name: w.title for name, w in WORDS.items()}   # word -> a heading


def verdict_word(high_bias: bool, high_variance: bool) -> VerdictWord:
    """The verdict for whether the bias gap and the variance gap count.

    >>> verdict_word(True, False).name
    'high_bias'
    """
    if high_bias and high_variance:
        return WORDS["high_bias_high_variance"]
    if high_bias:
        return WORDS["high_bias"]
    return WORDS["high_variance"] if high_variance else WORDS["good_fit"]
