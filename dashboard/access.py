"""Who may see the dashboard and whether it may write: the sign-in form in front of every page
(when ``DIAGNOSE_DASHBOARD_PASSWORD`` is set) and the read-only switch.

The password is compared in constant time and never stored, shown or logged; a session
that signed in keeps a flag in ``st.session_state`` (held by the server, not the browser).
"""
from __future__ import annotations

import hashlib
import hmac
import time

import streamlit as st

from diagnose import settings

SIGNED_IN = "_signed_in"
WRONG_PASSWORD_DELAY = 1.0  # seconds a wrong password waits: slows guessing down


def password_matches(given: str, expected: str) -> bool:
    """Whether ``given`` is the deployment password, in constant time (the digests compared
    have one length, so not even the password's length shows in the timing).

    >>> password_matches("open sesame", "open sesame"), password_matches("open", "open sesame")
    (True, False)
    """
    def digest(text: str) -> bytes:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()

    return hmac.compare_digest(digest(given), digest(expected))


def locked() -> bool:
    """Whether this session must sign in first: a password is set and it has not given it."""
    return bool(settings.get("dashboard_password")) and not st.session_state.get(SIGNED_IN)


def sign_in_form() -> None:
    """The sign-in form; the right password unlocks the session and reruns the page asked for."""
    expected = str(settings.get("dashboard_password"))
    st.title("diagnose")
    with st.form("sign_in"):
        given = st.text_input("Password", type="password", key="_password",
                              help="the dashboard's password, from whoever runs it (DIAGNOSE_DASHBOARD_PASSWORD)")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        if password_matches(given, expected):
            st.session_state[SIGNED_IN] = True
            st.rerun()
        time.sleep(WRONG_PASSWORD_DELAY)
        st.error("Wrong password.")


def read_only() -> bool:
    """Whether writes (uploads, tags) are turned off (``--read-only``, DIAGNOSE_DASHBOARD_READ_ONLY)."""
    return bool(settings.get("dashboard_read_only"))


READ_ONLY_NOTE = ("This dashboard is read-only (started with `--read-only` or `DIAGNOSE_DASHBOARD_READ_ONLY=1`): "
                  "{what} turned off. Store runs and tags from the command line (`diagnose submit`, "
                  "`diagnose errors tally --save`), or ask whoever runs the dashboard.")
