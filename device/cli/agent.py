"""The `har-agent` command: `run`, `check-config`, `doctor`, `alerts`, `install-service`,
`uninstall-service`."""
from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

import click
from tabulate import tabulate

import har_device
from har_device.agent.latency import STAGES
from har_device.agent.loop import Agent, RunSummary, open_model
from har_device.cli.alerts import alerts
from har_device.cli.console import ConsoleSink
from har_device.cli.doctor import doctor
from har_device.cli.entry import common_options, run_cli
from har_device.cli.mqtt_options import mqtt_run_options
from har_device.cli.service import install_service, uninstall_service
from har_device.config.mqtt import mqtt_overrides
from har_device.config.schema import AgentConfig, load_config
from har_device.mqtt.publisher import MqttPublisher
from har_device.service.notify import ServiceNotifier


@click.group(help="Run a har-edge bundle against a camera and raise action events.")
@common_options(har_device.__version__)
def cli() -> None:
    """Group of the agent's subcommands."""


def _stop_on_signals() -> threading.Event:
    """SIGTERM (systemd stop) and SIGINT (Ctrl-C) end the run cleanly instead of killing it."""
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    return stop


@cli.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="YAML config; command-line options override its fields")
@click.option("--bundle", type=click.Path(path_type=Path), help="bundle directory or bare .tflite")
@click.option("--source", help="0, /dev/videoN, FILE, rtsp://…, a GStreamer pipeline, csi:N, "
                               "picamera2, synthetic:SCRIPT")
@click.option("--device-id", help="name in events and MQTT topics (default: the hostname)")
@click.option("--mode", type=click.Choice(["clip", "streaming", "frame"]),
              help="default: the bundle's mode")
@click.option("--stride", type=int, help="frames between two decisions (default 1)")
@click.option("--threads", type=int, help="inference threads (default: LiteRT's choice)")
@click.option("--labels", help="bare .tflite only: label file or comma-separated list")
@click.option("--frames", type=int, help="bare .tflite only: frames per window T")
@click.option("--sample-fps", type=float, help="override the bundle's sampling rate")
@click.option("--min-person-height", type=float,
              help="pose bundles: judge only a person at least this fraction of the frame's "
                   "shorter side tall (default 0.2)")
@click.option("--loop/--no-loop", default=None, help="replay a file or synthetic scene forever")
@click.option("--stall-timeout", "stall_timeout_s", type=float,
              help="seconds without a frame before a live source is reopened (default 5)")
@click.option("--max-frames", type=int, help="stop after this many processed frames")
@click.option("--events-log", type=click.Path(path_type=Path), help="append events as JSON lines")
@click.option("--latency-log", type=click.Path(path_type=Path), help="per-frame latency CSV")
@click.option("--preview", type=click.Path(dir_okay=False, path_type=Path),
              help="write an mp4 of what the agent saw: skeleton, top label and score")
@click.option("--print-events/--no-print-events", default=None, help="print events as they happen")
@mqtt_run_options
def run(config_path: Path | None, **options: Any) -> None:
    """Camera → model → action events, with a per-frame latency log."""
    config = load_config(config_path, mqtt_overrides(options))
    logging.basicConfig(level=logging.INFO, format="har-agent: %(message)s")
    systemd = ServiceNotifier.from_environment()
    mqtt = MqttPublisher(config.mqtt, config.device_id) if config.mqtt else None
    sinks = ([ConsoleSink()] if config.print_events else []) + ([mqtt] if mqtt else [])
    agent = Agent(config, extra_sinks=sinks,
                  observers=[observer for observer in (systemd, mqtt) if observer])
    if mqtt:
        mqtt.start(agent.model)
    stop = _stop_on_signals()
    agent.open_source()
    click.echo(f"har-agent: {agent.model.name} ({agent.model.mode}, T={agent.model.frames}, "
               f"{agent.model.sample_fps or 'every'} fps) on {config.source}", err=True)
    summary = agent.run(stop)
    click.echo(format_summary(summary), err=True)


def format_summary(summary: RunSummary) -> str:
    """The exit summary: throughput, drops, events, and per-stage latency percentiles."""
    starts = sum(1 for event in summary.events if event["type"] == "start")
    head = (f"{summary.frames_processed} frames in {summary.seconds:.1f} s "
            f"({summary.fps:.1f} fps), {summary.decisions} decisions, {starts} events, "
            f"{summary.dropped} dropped, {summary.reconnects} source reconnects")
    rows = [[stage.removesuffix("_ms"), *summary.latency[stage].values()] for stage in STAGES
            if stage in summary.latency]
    table = tabulate(rows, headers=["stage (ms)", "p50", "p95", "p99", "mean"], floatfmt=".2f")
    return f"{head}\n{table}"


@cli.command("check-config")
@click.argument("config_path", type=click.Path(path_type=Path))
@click.option("--bundle", type=click.Path(path_type=Path), help="check against this bundle too")
def check_config(config_path: Path, bundle: Path | None) -> None:
    """Validate a config file (and its event settings against the bundle's labels)."""
    config: AgentConfig = load_config(config_path, {"bundle": bundle})
    model = open_model(config)
    config.event_settings(model.events)
    click.echo(f"{config_path}: OK (model {model.name}, labels {', '.join(model.labels)})")


cli.add_command(doctor)
cli.add_command(install_service)
cli.add_command(uninstall_service)
cli.add_command(alerts)
main = run_cli(cli, "har-agent")
