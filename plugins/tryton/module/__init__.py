"""The `groundtruth` Tryton module (loaded by trytond only, through the `trytond.modules` entry point).

Tryton resolves the classes named in tryton.cfg as `trytond.modules.groundtruth.<file>.<class>`;
modules installed from a distribution normally live in that namespace. This one lives in our
repository, so the package answers to that name as well: its submodules are imported only through it.
"""

import sys

sys.modules.setdefault("trytond.modules.groundtruth", sys.modules[__name__])
