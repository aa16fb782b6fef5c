"""Where the embedded broker's Java and jars come from, and one clear line when either is missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

MINIMUM_JAVA = 17
# `make install` resolves the jars here (git-ignored); GT_KAFKA_LIBS points elsewhere.
DEFAULT_LIBS = Path(__file__).resolve().parents[3] / ".kafka" / "libs"
INSTALL_HINT = (
    "install Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless; or set JAVA_HOME), "
    "then run `make install`"
)


class JavaMissing(RuntimeError):
    """No Java >= 17 or no Kafka jars: the embedded Apache Kafka broker cannot start."""


def _java_version(java: str) -> int | None:
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    # `openjdk version "17.0.15" 2025-04-15` or, for Java 8, `"1.8.0_392"`.
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if found is None:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


@cache
def require_java() -> str:
    """The `java` executable to run the broker with (JAVA_HOME first, then PATH); raises `JavaMissing`."""
    home = os.environ.get("JAVA_HOME")
    candidates = [str(Path(home) / "bin" / "java")] if home else []
    if found := shutil.which("java"):
        candidates.append(found)
    for java in candidates:
        version = _java_version(java)
        if version is not None and version >= MINIMUM_JAVA:
            return java
    raise JavaMissing(f"Apache Kafka needs Java >= {MINIMUM_JAVA}, none found: {INSTALL_HINT}")


def kafka_classpath() -> str:
    """The classpath of the resolved Kafka jars; raises `JavaMissing` when they were never resolved."""
    libs = Path(os.environ.get("GT_KAFKA_LIBS") or DEFAULT_LIBS)
    if not any(libs.glob("kafka_2.13-*.jar")):
        raise JavaMissing(f"the Kafka jars are not in {libs}: run `make install` (it needs Maven and Java)")
    return f"{libs}/*"
