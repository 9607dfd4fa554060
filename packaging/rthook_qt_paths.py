"""PyInstaller runtime hook: tell Qt where the frozen app's plugins are.

It replaces PyInstaller's own PySide6 hook, which imports QtCore at every start: this executable also starts
every sandbox worker and the model server, and those must not load Qt (about 0.3 s each). Environment only.
"""

import os
import sys

_qt = os.path.join(getattr(sys, "_MEIPASS", os.path.dirname(sys.executable)), "PySide6", "Qt")
os.environ["QT_PLUGIN_PATH"] = os.path.join(_qt, "plugins")
os.environ["QML2_IMPORT_PATH"] = os.path.join(_qt, "qml")
