"""What every `steward` command holds: the chosen config file, and the rules it loads it under."""

from __future__ import annotations

import click

from bot import config as config_mod
from bot.cli.zh import ConfigHolder
from bot.services.uow.steward import Steward


class Ctx(ConfigHolder):
    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path

    def config(self) -> config_mod.Config:
        try:
            return config_mod.load(self.config_path)
        except config_mod.ConfigError as exc:
            raise click.ClickException(exc.report()) from None

    def dev_config(self) -> config_mod.Config:
        """The config of a command that only reads or is a development tool (`digest`, `classify`,
        `menu show`, `chat`, `sandbox`, `demo`): it runs on the sample under `steward dev`'s rules,
        as `steward dev` itself does — the sample secrets and the sandbox are fine, and without a
        config.toml it falls back to config.example.toml."""
        if config_mod.run_mode() is config_mod.RunMode.PRODUCTION:
            config_mod.set_run_mode(config_mod.RunMode.DEV)  # this process only; never from the environment
        return self.config()

    def service_config(self) -> config_mod.Config:
        """The config of a long-running service (`serve`, `worker`): no sample secrets, no sandbox."""
        cfg = self.config()
        try:
            config_mod.ensure_deployable(cfg)
        except config_mod.ConfigError as exc:
            raise click.ClickException(exc.report() + "\n（开发环境请用 steward dev / for development use `steward dev`）") from None
        return cfg

    def steward(self) -> Steward:
        return Steward(self.config())


pass_ctx = click.make_pass_decorator(Ctx)
