"""Jupyter Server configuration for the Galata tests (playwright.config.js starts it).

Galata's settings: port 8888, no token or password, its in-page helpers extension, and a
fresh temporary root directory (or $JUPYTERLAB_GALATA_ROOT_DIR). For tests only: it turns
off all security.
"""

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821 (`c` is the config object Jupyter provides)
