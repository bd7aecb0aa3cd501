"""The screen on Spark: a session, the projection's Parquet tables as views, and DuckDB SQL run there.

The compiler writes one query in DuckDB's dialect; Spark runs the same query after ``sqlglot`` transpiles
it (``to_spark_sql``), so the two engines can never be handed different logic. What sqlglot cannot carry
over is either rewritten here (each fix-up says which construct) or listed in ``docs/screening.md``
("Spark dialect notes") as a construct the compiler must not emit.

pyspark and sqlglot are imported lazily: the package and the core CLI work without the ``spark`` extra.
Spark needs Java 17 or later; without it ``spark_session`` raises ``SparkUnavailable`` (an
``InputError``, so the CLI exits 2 with the message) before trying to start anything.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lss_pathway.domain.schema import tables
from lss_pathway.screening.inputs.report import InputError
from lss_pathway.screening.inputs.validate import count_nonfinite, refuse_nonfinite

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from sqlglot import exp

MIN_JAVA = 17  # Spark 4 dropped Java 8 and 11

# Spark's own log4j2 defaults print INFO/WARN lines on start and log every failed query again at ERROR
# with the JVM stack; the exception that reaches Python already carries the message.
_LOG4J2 = """\
status = error
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
rootLogger.level = error
rootLogger.appenderRef.stdout.ref = console
logger.query.name = SQLQueryContextLogger
logger.query.level = off
"""


class SparkUnavailable(InputError):
    """Spark cannot run here (no pyspark, no Java or a Java older than 17); the message says what to do."""


def java_version(java: str) -> int | None:
    """The major version ``java -version`` reports (8 for ``1.8.0_x``), or ``None`` if it cannot be read."""
    try:
        shown = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', shown)
    if found is None:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def check_java() -> str:
    """The ``java`` Spark will start (``$JAVA_HOME/bin/java``, else the one on PATH); raise if unusable."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if java is None or not Path(java).exists():
        where = f"JAVA_HOME={home} has no bin/java" if home else "no java on PATH and JAVA_HOME is not set"
        raise SparkUnavailable(
            f"Spark needs Java {MIN_JAVA} or later: {where}. Install a JDK (Debian: openjdk-17-jre-headless) "
            "or use --engine duckdb."
        )
    version = java_version(java)
    if version is None or version < MIN_JAVA:
        raise SparkUnavailable(
            f"Spark needs Java {MIN_JAVA} or later; {java} reports {version or 'no readable version'}. Point "
            "JAVA_HOME at a newer JDK or use --engine duckdb."
        )
    return java


def local_threads(master: str) -> int | None:
    """The worker threads of a ``local``, ``local[N]``, ``local[*]`` or ``local[N,retries]`` master;
    ``None`` for a cluster."""
    found = re.fullmatch(r"local(?:\[(\d+|\*)(?:,\d+)?\])?", master)
    if found is None:
        return None  # a cluster
    count = found.group(1) or "1"
    return (os.cpu_count() or 1) if count == "*" else int(count)


@cache
def _log_config() -> Path:
    path = Path(tempfile.mkdtemp(prefix="lss-spark-")) / "log4j2.properties"
    path.write_text(_LOG4J2)
    return path


def spark_session(
    master: str = "local[2]", *, driver_memory: str = "2g", quick_start: bool = False
) -> SparkSession:
    """A Spark session for screening: quiet, UTC, no web UI, few shuffle partitions in local mode.

    ``master`` is ``local[N]`` on one machine (the driver then listens on the loopback address only) or a
    cluster URL (``spark://host:7077``, ``yarn``). ``quick_start`` limits the JVM to its first JIT tier:
    start-up takes about half the CPU (measured here: 7 s instead of 14 s), long queries run slower, so it
    suits tests and short screens. Like pyspark's builder, this returns the running session if there is
    one, whose settings then stay as they were.
    """
    check_java()
    try:
        from pyspark.sql import SparkSession
    except ImportError as missing:
        raise SparkUnavailable(
            "Spark screening needs the spark extra: pip install 'lss-pathway[spark]'"
        ) from missing
    java_options = f"-Duser.timezone=UTC -Dlog4j2.configurationFile={_log_config().as_uri()}"
    if quick_start:
        java_options += " -XX:TieredStopAtLevel=1"
    builder = (
        SparkSession.builder.master(master)
        .appName("lss-screen")
        .config("spark.driver.memory", driver_memory)
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        # Spark 4's default, pinned: an overflow, a bad cast or an index out of range fails the screen
        # instead of turning into a silent NULL (an unknown) in a clinical verdict.
        .config("spark.sql.ansi.enabled", "true")
    )
    threads = local_threads(master)
    if threads is not None:
        # 200 shuffle partitions (the default) is one task per partition per stage: pure overhead on a
        # few cores. Locally the driver also binds to loopback instead of the machine's first interface.
        builder = (
            builder.config("spark.sql.shuffle.partitions", str(2 * threads))
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
        )
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # read by the launcher before the JVM starts
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def register_tables(spark: SparkSession, folder: Path, *, check: bool = True) -> None:
    """Register ``<folder>/<table>.parquet`` as a temporary view named after each table of the projection.

    With ``check`` (the default), refuse tables holding NaN or infinity in a DOUBLE column, counted by
    Spark itself over the views (``inputs.validate``), so a screen never reads NaN as a number."""
    names = list(tables())
    missing = [name for name in names if not (folder / f"{name}.parquet").exists()]
    if missing:
        raise InputError(f"{folder} lacks " + ", ".join(f"{name}.parquet" for name in missing))
    for name in names:
        spark.read.parquet(str(folder / f"{name}.parquet")).createOrReplaceTempView(name)
    if check:
        check_views(spark)


def check_views(spark: SparkSession) -> None:
    """Raise ``InputError`` if a registered table holds NaN or infinity in a DOUBLE column."""

    def run(sql: str) -> tuple[int, ...]:
        return tuple(spark.sql(sql).first() or ())

    refuse_nonfinite(count_nonfinite(run))


# --- DuckDB SQL to Spark SQL ----------------------------------------------------------------------------

_MACRO = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?MACRO\s+(\w+)\s*\(([^)]*)\)\s+AS\s+(.+?)\s*(?:;|\Z)",
    re.IGNORECASE | re.DOTALL,
)


def parse_macros(ddl: str) -> dict[str, tuple[tuple[str, ...], str]]:
    """DuckDB scalar macros (``CREATE [OR REPLACE] MACRO name(a, b) AS expr;``) as name -> (params, body)."""
    found: dict[str, tuple[tuple[str, ...], str]] = {}
    for name, params, body in _MACRO.findall(ddl):
        if body.lstrip().upper().startswith("TABLE"):
            raise ValueError(f"macro {name}: table macros cannot be inlined")
        found[name.lower()] = (tuple(p.strip() for p in params.split(",") if p.strip()), body)
    return found


def _inline_macros(tree: exp.Expr, macros: Mapping[str, tuple[tuple[str, ...], str]]) -> exp.Expr:
    import sqlglot
    from sqlglot import exp

    bodies = {
        name: (params, sqlglot.parse_one(body, read="duckdb")) for name, (params, body) in macros.items()
    }

    def expand(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Anonymous) or node.name.lower() not in bodies:
            return node
        params, body = bodies[node.name.lower()]
        if len(node.expressions) != len(params):
            raise ValueError(f"macro {node.name} takes {len(params)} arguments, got {len(node.expressions)}")
        args = {
            param.lower(): exp.paren(arg.copy(), copy=False)
            for param, arg in zip(params, node.expressions, strict=True)
        }

        def bind(part: exp.Expr) -> exp.Expr:
            if isinstance(part, exp.Column) and not part.table and part.name.lower() in args:
                return args[part.name.lower()].copy()
            return part

        # Parenthesised so that the expanded body keeps its precedence wherever the call stood.
        return exp.paren(_inline_macros(body.copy().transform(bind), macros), copy=False)

    return tree.transform(expand)


def _typed_null_conditions(tree: exp.Expr) -> exp.Expr:
    """A bare NULL as a condition (``CASE WHEN NULL``, ``NOT NULL``, ``NULL AND x``): DuckDB reads it as an
    unknown boolean, Spark refuses the untyped NULL (DATATYPE_MISMATCH); cast it to BOOLEAN."""
    from sqlglot import exp

    def typed(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Null) and isinstance(node.parent, exp.Not | exp.And | exp.Or):
            return exp.cast(node, "BOOLEAN")
        if isinstance(node, exp.If) and isinstance(node.this, exp.Null):
            node.set("this", exp.cast(node.this, "BOOLEAN"))
        return node

    return tree.transform(typed)


def to_spark_sql(duckdb_sql: str, macros: str = "") -> str:
    """Translate one DuckDB query to Spark SQL with sqlglot, plus the fix-ups Spark needs.

    ``macros`` is DuckDB ``CREATE MACRO`` DDL the query relies on: Spark has no SQL macros, so each call is
    replaced by the macro's body with the arguments bound (parenthesised, recursively)."""
    import sqlglot

    statements = sqlglot.parse(duckdb_sql, read="duckdb")
    if len(statements) != 1 or statements[0] is None:
        raise ValueError(f"expected one query, got {len(statements)} statements")
    tree: exp.Expr = statements[0]
    if macros:
        tree = _inline_macros(tree, parse_macros(macros))
    tree = _typed_null_conditions(tree)
    return tree.sql(dialect="spark")


def run_sql(spark: SparkSession, duckdb_sql: str, macros: str = "") -> list[tuple[Any, ...]]:
    """Run a DuckDB query on Spark; its rows as tuples (DATE as ``datetime.date``, lists as lists)."""
    return [tuple(row) for row in spark.sql(to_spark_sql(duckdb_sql, macros)).collect()]


class SparkEngine:
    """The screen's engine on a Spark session (``screen.Engine``): the compiled DuckDB query, translated.

    Intermediate tables are cached temporary views; outputs are written by Spark as Parquet folders
    (``cells.parquet/part-*.parquet``), which DuckDB, pyarrow and Spark all read as one table.
    """

    name = "spark"

    def __init__(self, spark: SparkSession):
        self.spark = spark

    def materialise(self, name: str, sql: str) -> None:
        frame = self.spark.sql(to_spark_sql(sql)).cache()
        frame.createOrReplaceTempView(name)
        frame.count()  # computed once here, not again by every query that reads it

    def rows(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        frame = self.spark.sql(to_spark_sql(sql))
        return list(frame.columns), [tuple(row) for row in frame.collect()]

    def write_parquet(self, name: str, path: Path) -> None:
        self.spark.table(name).write.mode("overwrite").parquet(str(path))
