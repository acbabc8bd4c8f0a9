"""The referral data in ``platforms.yaml``: policy and legal basis per platform and category,
platform hosts, permalink templates and "content unavailable" texts.

Kept as data so that analysts can review and update it (platforms rename policies and
change their error pages) without touching code.
"""
from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

import yaml

from marsad.errors import ConfigError

PLATFORMS_YAML = Path(__file__).with_name("platforms.yaml")


class ReferConfig:
    def __init__(self, data: dict):
        self.data = data
        self.platforms: dict[str, dict] = data.get("platforms") or {}
        self.legal: dict[str, str] = data.get("legal_basis") or {}

    def platform(self, name: str) -> dict:
        return self.platforms.get(name) or self.platforms.get("other") or {}

    def name(self, platform: str) -> str:
        return self.platform(platform).get("name") or platform

    def policy(self, platform: str, category: str) -> str:
        return (self.platform(platform).get("policies") or {}).get(category) or "Terms of service: illegal content"

    def legal_basis(self, category: str) -> str:
        return " ".join((self.legal.get(category) or self.legal.get("default") or "").split())

    def domains(self, platform: str) -> list[str]:
        return [d.lower() for d in self.platform(platform).get("domains") or ()]

    def unavailable(self, platform: str) -> list[str]:
        return list(self.platform(platform).get("unavailable") or ())

    def platform_of_host(self, host: str) -> str | None:
        """The platform a host belongs to (sub-domains included), or None."""
        host = (host or "").lower().rstrip(".")
        for name, conf in self.platforms.items():
            for d in conf.get("domains") or ():
                if host == d or host.endswith("." + d):
                    return name
        return None

    def permalink(self, platform: str, fields: dict) -> str | None:
        """The post's URL from the platform's template, or None when a field is missing."""
        template = self.platform(platform).get("permalink")
        if not template:
            return None
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
        if any(not fields.get(n) for n in names):
            return None
        return template.format(**{n: str(fields[n]).lstrip("@") for n in names})

    @property
    def checks_after_hours(self) -> list[float]:
        return [float(h) for h in self.data.get("checks_after_hours") or (1, 24, 168)]

    @property
    def no_answer_after_days(self) -> float:
        return float(self.data.get("no_answer_after_days") or 14)

    @property
    def user_agent(self) -> str:
        return self.data.get("user_agent") or "marsad-link-checker"


@lru_cache(maxsize=4)
def load(path: str | None = None) -> ReferConfig:
    """The referral data (``platforms.yaml`` beside this module unless ``path`` is given)."""
    p = Path(path) if path else PLATFORMS_YAML
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read referral data {p}: {exc}") from exc
    return ReferConfig(data)
