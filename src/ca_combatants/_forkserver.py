"""Imported only by the PDF workers' fork server (pdf.PartPool), first of its preloads.

When the render ends, the fork server sees its parent close the pipe and exits. It holds
nothing to flush or save, yet Python's teardown of everything it imported (WeasyPrint, pikepdf)
takes a tenth of a second, during which it still holds the render's stdout and stderr: a caller
that reads them to the end (a script, CI, `| tee`) waits for it. Its exit handlers run as usual
(registered first, this one runs last), then it ends without the teardown. The workers it forks
leave through multiprocessing's own os._exit and never reach this."""

from __future__ import annotations

import atexit
import os

atexit.register(os._exit, 0)
