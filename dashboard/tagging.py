"""The review table of the Error analysis page and what its Save writes: only the rows a
reviewer changed. No Streamlit here (tested on its own)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class TagChanges:
    """New or changed categories by sample id, and the ids whose categories were cleared."""

    save: dict[str, str] = field(default_factory=dict)
    clear: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.save and not self.clear


def tag_changes(edited: pd.DataFrame, stored: Mapping[str, str]) -> TagChanges:
    """Compare the edited table (``id``, ``tags``) with the stored tags.

    Unchanged rows are left alone, so a second reviewer's Save does not overwrite who
    tagged the rows they did not touch; a cleared cell removes the stored tags.

    >>> import pandas as pd
    >>> edited = pd.DataFrame({"id": ["1", "2", "3", "4"], "tags": ["blurry", " dark ", "", None]})
    >>> tag_changes(edited, {"1": "blurry", "2": "glare", "3": "dark"})
    TagChanges(save={'2': 'dark'}, clear=('3',))
    """
    save, clear = {}, []
    for sample_id, tags in zip(edited["id"].astype(str), edited["tags"]):
        text = "" if tags is None or tags != tags else str(tags).strip()
        before = stored.get(sample_id)
        if text and text != before:
            save[sample_id] = text
        elif not text and before is not None:
            clear.append(sample_id)
    return TagChanges(save=save, clear=tuple(clear))


def review_frame(sample: pd.DataFrame, saved: Mapping[str, str]) -> pd.DataFrame:
    """The sample as reviewers edit it: ids as text, the stored tags filled in, no bookkeeping columns.

    >>> import pandas as pd
    >>> sample = pd.DataFrame({"id": [4, 9], "y_true": [1, 0], "tags": ["", ""], "total_errors": 2, "cv_n": 10})
    >>> review_frame(sample, {"9": "glare"}).values.tolist()
    [['4', 1, ''], ['9', 0, 'glare']]
    """
    frame = sample.drop(columns=["total_errors", "cv_n"], errors="ignore")
    frame["id"] = frame["id"].astype(str)
    if saved:
        frame["tags"] = frame["id"].map(saved).fillna("")
    return frame
