"""Settings every test needs before Qt or Spyder is imported."""

import os

# Headless Qt; Spyder's own test mode (clean configuration folder, window returned by
# start.main()); as root QtWebEngine exits silently without this.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["SPYDER_PYTEST"] = "True"
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
