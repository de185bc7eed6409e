"""Imaging ingest: a synthetic study through the portal's code path against straight to Orthanc.

Writes a synthetic study of INSTANCES 512x512 16-bit CT images (about 0.5 MB each, so
about 500 MB for 1,000) and starts a real Orthanc (Debian's package) on loopback with
authentication. Then, in alternating rounds, it posts the files straight to Orthanc (one
keep-alive connection, as fast as the REST API takes them) and ingests them through the
portal's code path in a fresh process, as a worker runs it: the folder upload received into
private storage, the disc read and matched, the series previews rendered, the study sent to
Orthanc. The portal's run starts from the files as Django hands a folder upload over
(spooled to disk by the web server, so the direct run's files already on disk are its
match). Orthanc's copy is deleted between runs so that each one stores every instance.
It prints MB/s for each and their ratio, then the peak memory of the portal's process at
100 and at INSTANCES instances (its peak resident size, and the peak of Python's own
allocations under tracemalloc, measured in separate runs so the tracing does not slow the
timed ones):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/secondopinion_bench_imaging \\
    .venv/bin/python bench/imaging.py [--instances 1000] [--rounds 2]

The database named in DATABASE_URL is dropped and created again. It prints figures and
asserts nothing; it exits non-zero only when it could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed import reset_database  # noqa: E402 (bench/ is on the path: see above)

from tests.infra import ORTHANC, OrthancServer  # noqa: E402

USER, PASSWORD = "bench", "bench-secret"


def write_study(folder: Path, count: int) -> int:
    """Write `count` 512x512 instances of one CT series; return the total bytes."""
    from pydicom.uid import generate_uid

    from tests.dicom_files import make_instance, write_instance

    study_uid, series_uid = generate_uid(), generate_uid()
    total = 0
    for index in range(1, count + 1):
        dataset = make_instance(
            study_uid=study_uid, series_uid=series_uid, instance_number=index, size=512
        )
        path = write_instance(folder / "DICOM" / f"IM{index:06d}", dataset)
        total += path.stat().st_size
    return total


def orthanc_empty(orthanc: OrthancServer) -> None:
    for study in orthanc.get("/studies", timeout=60) or []:
        orthanc.get(f"/studies/{study}", method="DELETE", timeout=60)


def direct(files: list[Path], url: str) -> float:
    """Post every file straight to Orthanc; return the seconds it took."""
    from requests.imaging.orthanc import OrthancClient

    started = time.perf_counter()
    with OrthancClient(url) as client:
        for path in files:
            with path.open("rb") as stream:
                client.store(stream, length=path.stat().st_size)
    return time.perf_counter() - started


def portal(folder: Path, url: str, env: dict[str, str], count: int, trace: bool) -> dict:
    """Ingest through the portal's code path in a fresh process; return its figures."""
    args = [sys.executable, __file__, "--ingest", str(folder), "--count", str(count)]
    if trace:
        args.append("--trace")
    result = subprocess.run(
        args, env={**env, "ORTHANC_URL": url}, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise RuntimeError(result.stdout[-2000:] + result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def ingest(folder: Path, count: int, trace: bool) -> dict:
    """The portal's side, run in its own process: receive, read, send, as a worker would."""
    if trace:
        tracemalloc.start()
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secondopinion.settings")
    django.setup()
    from secondopinion.celery import app

    # The tasks the services queue go to an in-memory broker nobody reads: each step is
    # called here in turn, as the worker's tasks would, and timed on its own.
    app.conf.task_always_eager = False
    from requests.imaging.models import ImagingStudy
    from requests.imaging.services import (
        imaging_send_to_orthanc,
        imaging_upload_process,
        imaging_upload_receive,
    )
    from tests.factories import make_request

    case = make_request()
    from django.core.files import File

    class Spooled(File):
        """An uploaded file as Django hands it over: spooled to disk by the web server."""

        def temporary_file_path(self) -> str:
            return self.name

    # The web server spools an upload to temporary files as it arrives (untimed here, as
    # the direct run's files are already on disk): the same files, copied to a spool folder.
    spool = Path(os.environ["PRIVATE_MEDIA_ROOT"]).parent / "spool"
    shutil.rmtree(spool, ignore_errors=True)
    spool.mkdir(parents=True)
    files = sorted((folder / "DICOM").iterdir())[:count]
    streams = []
    for path in files:
        copy = Path(shutil.copyfile(path, spool / path.name))
        streams.append((f"disc/DICOM/{path.name}", Spooled(copy.open("rb"), name=str(copy))))
    size = sum(path.stat().st_size for path in files)
    started = time.perf_counter()
    upload = imaging_upload_receive(case=case, files=streams, by=None)
    received = time.perf_counter()
    for _name, stream in streams:
        stream.close()
    imaging_upload_process(upload_id=upload.pk)
    read = time.perf_counter()
    study = ImagingStudy.objects.get(upload=upload)
    sent = imaging_send_to_orthanc(study_id=study.pk)
    done = time.perf_counter()
    figures = {
        "bytes": size,
        "instances": len(files),
        "sent": sent,
        "seconds": done - started,
        "receive": received - started,
        "read": read - received,
        "send": done - read,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if trace:
        figures["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1024**2
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ingest", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ingest:
        print(json.dumps(ingest(args.ingest, args.count, args.trace)))
        return 0
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres") or not Path(ORTHANC).exists():
        print("Set DATABASE_URL (PostgreSQL; it is recreated) and install Debian's orthanc.")
        return 2
    reset_database(database_url)
    work = Path(tempfile.mkdtemp(prefix="bench-imaging-"))
    env = {
        **os.environ,
        "DEBUG": "1",
        "PRIVATE_MEDIA_ROOT": str(work / "private"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)  # the portal's code runs in this process, not queued
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secondopinion.settings")
    import django

    django.setup()
    orthanc = None
    try:
        started = time.perf_counter()
        total = write_study(work / "study", args.instances)
        print(
            f"study: {args.instances} instances, {total / 1e6:.0f} MB "
            f"(written in {time.perf_counter() - started:.1f} s)"
        )
        files = sorted((work / "study" / "DICOM").iterdir())
        orthanc = OrthancServer(work / "orthanc", USER, PASSWORD).configure(plugins=False)
        orthanc.start()
        url = orthanc.url
        mb = total / 1e6
        direct_rates, portal_rates = [], []
        for round_number in range(1, args.rounds + 1):
            seconds = direct(files, url)
            direct_rates.append(mb / seconds)
            orthanc_empty(orthanc)
            shutil.rmtree(work / "private", ignore_errors=True)
            figures = portal(work / "study", url, env, args.instances, trace=False)
            portal_rates.append(mb / figures["seconds"])
            orthanc_empty(orthanc)
            print(
                f"round {round_number}: direct {direct_rates[-1]:.1f} MB/s ({seconds:.1f} s); "
                f"portal {portal_rates[-1]:.1f} MB/s ({figures['seconds']:.1f} s: "
                f"receive {figures['receive']:.1f}, read {figures['read']:.1f}, "
                f"send {figures['send']:.1f}; {figures['sent']} stored; "
                f"peak RSS {figures['maxrss_mb']:.0f} MB); "
                f"ratio {portal_rates[-1] / direct_rates[-1]:.0%}"
            )
        ratio = statistics.median(portal_rates) / statistics.median(direct_rates)
        print(
            f"median: direct {statistics.median(direct_rates):.1f} MB/s, portal "
            f"{statistics.median(portal_rates):.1f} MB/s: {ratio:.0%} of direct (target >= 70%)"
        )
        for count in sorted({min(100, args.instances), args.instances}):
            shutil.rmtree(work / "private", ignore_errors=True)
            untraced = portal(work / "study", url, env, count, trace=False)
            orthanc_empty(orthanc)
            shutil.rmtree(work / "private", ignore_errors=True)
            traced = portal(work / "study", url, env, count, trace=True)
            orthanc_empty(orthanc)
            print(
                f"memory at {count} instances: peak RSS {untraced['maxrss_mb']:.0f} MB, "
                f"Python allocations peak {traced['traced_peak_mb']:.1f} MB (target < 200 MB)"
            )
    finally:
        if orthanc is not None:
            orthanc.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
