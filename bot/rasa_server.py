"""Training and starting the Rasa NLU server, which runs in its own Python 3.10 venv."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bot.errors import SetupError
from bot.settings import PROJECT_ROOT, Settings

MODEL_NAME = "approdo-nlu"


def rasa_env() -> dict[str, str]:
    """The environment Rasa runs in: telemetry off, TensorFlow quiet."""
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONWARNINGS="ignore",
        # Custom components (bot/rasa_components) are imported by module path.
        PYTHONPATH=str(PROJECT_ROOT),
    )
    return env


def rasa_executable(settings: Settings) -> Path:
    """The `rasa` command of .venv-rasa, or a SetupError saying how to get it."""
    exe = settings.rasa_venv / "bin" / "rasa"
    if not exe.exists():
        raise SetupError(f"{exe} not found: run `make setup` to build the Rasa environment")
    return exe


def training_files(nlu_dir: Path) -> list[Path]:
    """The training files: top-level nlu/*.yml only (nlu/tests/ is held out)."""
    return sorted(p for p in nlu_dir.glob("*.yml") if p.is_file())


def model_path(settings: Settings, name: str = MODEL_NAME) -> Path:
    return settings.models_dir / f"{name}.tar.gz"


def fingerprint(config: Path, files: list[Path]) -> str:
    """A hash of the pipeline, our own Rasa components and the training data: the model is
    rebuilt when any of them changes."""
    digest = hashlib.sha256()
    components = sorted((Path(__file__).parent / "rasa_components").glob("*.py"))
    for path in [config, *components, *files]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def train(
    settings: Settings, *, config: Path | None = None, name: str = MODEL_NAME, force: bool = False
) -> tuple[Path, bool]:
    """Train an NLU model unless one exists for the same data and config.

    Returns the model path and whether training ran.
    """
    config = config or settings.project_root / "config.yml"
    files = training_files(settings.nlu_dir)
    if not files:
        raise SetupError(f"no training files in {settings.nlu_dir}")
    target = model_path(settings, name)
    stamp = target.with_suffix("").with_suffix(".fingerprint")
    print_ = fingerprint(config, files)
    if not force and target.exists() and stamp.exists() and stamp.read_text() == print_:
        return target, False
    data_dir = settings.project_root / "build" / f"nlu-train-{name}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    for path in files:
        shutil.copy(path, data_dir / path.name)
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(rasa_executable(settings)), "train", "nlu",
        "--config", str(config), "--nlu", str(data_dir),
        "--out", str(settings.models_dir), "--fixed-model-name", name, "--quiet",
    ]  # fmt: skip
    result = subprocess.run(command, env=rasa_env(), cwd=settings.project_root, check=False)
    if result.returncode != 0 or not target.exists():
        raise SetupError(f"rasa train nlu failed (exit {result.returncode})")
    stamp.write_text(print_)
    return target, True


def serve_command(settings: Settings, model: Path, port: int) -> list[str]:
    host = urlsplit(settings.rasa_url).hostname or "127.0.0.1"
    return [
        str(rasa_executable(settings)), "run", "--enable-api",
        "-m", str(model), "-i", host, "-p", str(port), "--quiet",
    ]  # fmt: skip


def start_server(settings: Settings, model: Path, port: int) -> subprocess.Popen[bytes]:
    """Start `rasa run --enable-api` in the background; the caller stops it."""
    return subprocess.Popen(
        serve_command(settings, model, port),
        env=rasa_env(),
        cwd=settings.project_root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 180.0) -> None:
    """Block until the server at url has loaded its model, or raise SetupError."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SetupError(f"the Rasa server exited with code {process.returncode}")
            try:
                response = http.get(url.rstrip("/") + "/status")
                if response.status_code == 200 and response.json().get("model_file"):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
    raise SetupError(f"the Rasa server at {url} did not come up in {timeout:.0f} s")


def port_of(url: str) -> int:
    return urlsplit(url).port or 5005
