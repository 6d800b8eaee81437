"""HTML → PDF with a headless Chromium where one is installed (print CSS decides the A4 layout)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def converter() -> str | None:
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


def to_pdf(html: Path, pdf: Path, timeout: float = 120) -> bool:
    """Print `html` to `pdf`; False when no converter is installed or it failed."""
    exe = converter()
    if exe is None:
        return False
    args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.resolve().as_uri()]
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=timeout)
    except (subprocess.SubprocessError, OSError):
        return False
    return pdf.exists() and pdf.stat().st_size > 0
