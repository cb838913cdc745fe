"""Search strategies and pruners as the person sees them: a name, one line of explanation in
English and Chinese, and the source it comes from (data/search.yaml); and each hyperparameter's
tier in the guide's order, also for the names people give them in their own scripts.

Why data: the window offers every strategy and pruner with its explanation, and the texts must
be checkable against their sources like the rest of the knowledge.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hpdesk.knowledge.catalogue import KnowledgeError, catalogue, load_data, pick_language

FILE = "search.yaml"


@dataclass(frozen=True)
class SearchMethod:
    """A strategy or a pruner: its plan name, label, one-line help and source."""

    name: str
    label_en: str
    label_zh: str
    help_en: str
    help_zh: str
    source: str

    def label(self, lang: str = "en") -> str:
        return pick_language(lang, self.label_en, self.label_zh)

    def help(self, lang: str = "en") -> str:
        return pick_language(lang, self.help_en, self.help_zh)


def _methods(data: Any, section: str) -> dict[str, SearchMethod]:
    entries = data.get(section) if isinstance(data, Mapping) else None
    if not isinstance(entries, Mapping) or not entries:
        raise KnowledgeError(f"{FILE}: needs a '{section}' mapping", file=FILE, field=section)
    out = {}
    for name, entry in entries.items():
        fields = {}
        for key in ("label_en", "label_zh", "help_en", "help_zh", "source"):
            value = entry.get(key) if isinstance(entry, Mapping) else None
            if not isinstance(value, str) or (not value.strip() and key != "source"):
                raise KnowledgeError(f"{FILE}: {section}.{name}: field '{key}' must be a text",
                                     file=FILE, entry=str(name), field=key)
            fields[key] = " ".join(value.split())
        out[str(name)] = SearchMethod(name=str(name), **fields)
    return out


@functools.cache
def _data() -> Mapping[str, Any]:
    data = load_data(FILE)
    if not isinstance(data, Mapping):
        raise KnowledgeError(f"{FILE}: must be a mapping", file=FILE)
    return data


@functools.cache
def strategies() -> Mapping[str, SearchMethod]:
    """Every search strategy a plan may name, in the order the window offers them."""
    return MappingProxyType(_methods(_data(), "strategies"))


@functools.cache
def pruners() -> Mapping[str, SearchMethod]:
    """Every early-stopping rule a plan may name, `none` first."""
    return MappingProxyType(_methods(_data(), "pruners"))


@dataclass(frozen=True)
class DefaultSearch:
    """The strategy and pruner sections a new plan starts with, and the measurement behind."""

    strategy: Mapping[str, Any]
    pruner: Mapping[str, Any]
    why_en: str
    why_zh: str
    source: str

    def why(self, lang: str = "en") -> str:
        return pick_language(lang, self.why_en, self.why_zh)


@functools.cache
def default_search() -> DefaultSearch:
    entry = _data().get("default")
    if not isinstance(entry, Mapping) or not isinstance(entry.get("strategy"), Mapping) or (
            not isinstance(entry.get("pruner"), Mapping)):
        raise KnowledgeError(f"{FILE}: needs a 'default' with a strategy and a pruner",
                             file=FILE, field="default")
    texts = {k: " ".join(str(entry.get(k, "")).split()) for k in ("why_en", "why_zh", "source")}
    return DefaultSearch(MappingProxyType(dict(entry["strategy"])),
                         MappingProxyType(dict(entry["pruner"])), **texts)


def option_help(name: str, lang: str = "en", method: str | None = None) -> str:
    """One line on a strategy or pruner option (the `method`'s own wording when one option name
    means something else there, `median.n_startup_trials`); empty when the data has none."""
    options = _data().get("options", {})
    entry = options.get(f"{method}.{name}") if method else None
    entry = entry if isinstance(entry, Mapping) else options.get(name)
    if not isinstance(entry, Mapping):
        return ""
    return pick_language(lang, " ".join(str(entry.get("en", "")).split()),
                         " ".join(str(entry.get("zh", "")).split()))


#: What people call the catalogue's hyperparameters in their own scripts (after lower-casing and
#: dropping '-', '_' and '.'): `--learning-rate` is `lr`, `wd` is `weight_decay`.
ALIASES = {
    "learningrate": "lr", "lr": "lr", "baselr": "lr", "initlr": "lr", "eta": "lr",
    "batchsize": "batch_size", "bs": "batch_size", "bsz": "batch_size",
    "trainbatchsize": "batch_size", "perdevicetrainbatchsize": "batch_size",
    "weightdecay": "weight_decay", "wd": "weight_decay", "l2": "weight_decay",
    "dropout": "dropout", "dropoutrate": "dropout", "droprate": "dropout", "pdrop": "dropout",
    "momentum": "momentum", "beta1": "beta1", "beta2": "beta2", "adambeta1": "beta1",
    "adambeta2": "beta2", "optimizer": "optimizer", "optim": "optimizer", "opt": "optimizer",
    "epochs": "epochs", "numepochs": "epochs", "numtrainepochs": "epochs",
    "width": "width", "hiddensize": "width", "hiddendim": "width", "nhid": "width",
    "depth": "depth", "numlayers": "depth", "nlayers": "depth",
    "kernelsize": "kernel_size", "labelsmoothing": "label_smoothing",
}
_SEPARATORS = re.compile(r"[-_.\s]")


def catalogue_name(name: str) -> str | None:
    """The catalogue entry a plan's parameter name stands for, or None when hpdesk does not know
    it. Names of the catalogue itself come back unchanged."""
    if name in catalogue():
        return name
    key = _SEPARATORS.sub("", name.lower().lstrip("-"))
    return ALIASES.get(key)


def tier_of(name: str) -> int | None:
    """The guide's tier of a parameter (1: tune first, KNOWLEDGE.md §3), or None when unknown."""
    known = catalogue_name(name)
    return None if known is None else catalogue()[known].tier
