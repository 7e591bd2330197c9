"""The translation function of the widgets layer.

The widgets layer must not depend on Spyder, yet inside Spyder its strings should go through
Spyder's gettext set-up. This module is the single place where the widgets look at Spyder:
``_`` is Spyder's translation function when Spyder can be imported, the identity otherwise.
"""

try:
    from spyder.config.base import _ as _spyder_translate
except ImportError:
    _spyder_translate = None


def _(text: str) -> str:
    """Translate ``text`` (returned unchanged outside Spyder)."""
    if _spyder_translate is None:
        return text
    return _spyder_translate(text)
