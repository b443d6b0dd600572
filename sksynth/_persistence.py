"""``sksynth.save`` / ``sksynth.load``: a single-file model format that runs no code on load.

The file is a zip holding ``sksynth.json`` (format name and version, the
estimator's class and parameters, the table encoder's state, the training
history and the sampling stream) and ``weights.pt`` (tensors only, read with
``torch.load(weights_only=True)``). Only sksynth's own classes are rebuilt.
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from . import _serialize as ser
from .exceptions import PersistenceError
from .preprocessing import TableTransformer
from .preprocessing._columns import TARGET_COLUMN, is_timedelta
from .synthesizers import GANSynthesizer, VAESynthesizer
from .synthesizers._device import resolve_device
from .synthesizers._latent_mixture import (
    check_mixture,
    mixture_from_state,
    mixture_info,
    mixture_state,
)
from .utils._files import is_stream, replaced_on_success

FORMAT = "sksynth-model"
#: 2 adds a VAE's latent mixture; 3 residual columns and origins of wide int and
#: datetime columns (see ``ContinuousEncoder``); 4 a GAN without the index of its
#: training rows (earlier readers required it); 5 few-valued columns whose values
#: never seen decode to the nearest seen one (``max_exact_values``); 6 a VAE with
#: an autoregressive decoder (``autoregressive=True``); 7 float columns of
#: magnitudes above 2**1000, modelled in a power-of-two unit; 8 duration
#: (timedelta) columns. A file is
#: written with the lowest version that holds it, so that older sksynth versions
#: read what they can and refuse, with a clear error, what they would decode
#: wrongly or not load.
VERSION = 8
_CLASSES = {cls.__name__: cls for cls in (GANSynthesizer, VAESynthesizer)}
_MODULES = ("module_", "discriminator_", "sampler_")
#: Parameters added after the first format, left out of a file at their default.
_LATER_PARAMS = {"latent_mixture": None, "autoregressive": False}
#: What building a model from a file's parts raises when they do not fit together.
_DAMAGED = (
    KeyError, IndexError, TypeError, ValueError, AttributeError, RuntimeError, ArithmeticError
)  # fmt: skip


def _plain(value):
    """``value`` with numpy scalars as Python ones (in tuples and lists too): JSON
    holds no numpy types, and a ``random_state`` of ``np.int64(0)`` stays a seed."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | list):
        return type(value)(_plain(v) for v in value)
    return value


def _same(a, b) -> bool:
    if isinstance(a, np.random.RandomState) and isinstance(b, np.random.RandomState):
        return True  # fit keeps a copy (and draws from the original): not comparable
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays compare elementwise
        return a is b


def _params(model) -> dict:
    """The parameters the model was fitted with (its networks are rebuilt from them)."""
    current = model.get_params(deep=False)
    fitted = getattr(model, "_fit_params", None) or current  # None: pickled before it was kept
    changed = [k for k in current if k != "callbacks" and not _same(current[k], fitted.get(k))]
    if changed:
        warnings.warn(
            f"parameters set after fit are not saved: {', '.join(changed)}; the file holds "
            "the fitted model with the parameters it was fitted with (refit to use them).",
            UserWarning,
            stacklevel=3,
        )
    params = {key: _plain(value) for key, value in fitted.items()}
    if params.get("callbacks"):
        warnings.warn(
            "callbacks are not saved; the loaded model has callbacks=None.",
            UserWarning,
            stacklevel=3,
        )
    params["callbacks"] = None
    for key, default in _LATER_PARAMS.items():
        if key in params and params[key] is default:  # older versions read the file
            del params[key]
    if isinstance(params.get("device"), torch.device):
        params["device"] = str(params["device"])
    if not isinstance(params.get("random_state"), int | type(None)):
        warnings.warn(
            "random_state is a RandomState instance, which a file cannot hold: the loaded "
            "model has random_state=None (a refit is seeded afresh; its sampling stream is "
            "saved, so sample(random_state=None) goes on as it would have).",
            UserWarning,
            stacklevel=3,
        )
        params["random_state"] = None
    params["__tuples__"] = [k for k, v in params.items() if isinstance(v, tuple)]
    for key, value in list(params.items()):
        if isinstance(value, tuple):
            params[key] = list(value)
        if key == "discrete_columns" and not isinstance(value, str):
            params[key] = [ser.encode_value(v) for v in value]
    return params


def _version(model, plain: bool) -> int:
    """The lowest version that reads ``model``'s file (see ``VERSION``)."""
    tt = model.transformer_
    # older versions would read a duration column as floats, or its categories not at all
    if any(is_timedelta(dtype) for dtype in tt._container.dtypes):
        return 8
    if any(getattr(e, "unit_", 1.0) != 1.0 for e in tt._encoders.values()):
        return 7
    if getattr(model.net_.module_, "context", None) is not None:
        return 6
    # encoders that decode a mode to its nearest atom (max_exact_values): older
    # versions would decode that mode to values never seen
    if any(getattr(e, "snap_", False) for e in tt._encoders.values()):
        return 5
    if isinstance(model, GANSynthesizer):
        return 4
    wide = any(s.kind == "residual" for s in tt.output_spans_) or any(
        info.origin for info in tt._numeric_info.values()
    )
    return 3 if wide else 1 if plain else 2


def _transformer_state(tt: TableTransformer) -> dict:
    encoders = {}
    for span in tt.output_spans_:
        if span.kind == "category":
            encoders[span.column] = ser.encode_discrete(tt._encoders[span.column])
        elif span.kind == "scalar":
            encoders[span.column] = ser.encode_continuous(
                tt._encoders[span.column], tt._numeric_info[span.column]
            )
    return {
        # max_exact_values beside the others: TableTransformer in older versions lacks it
        "params": {
            k: v
            for k, v in tt.get_params().items()
            if k not in ("discrete_columns", "max_exact_values")
        },
        "max_exact_values": tt.max_exact_values,
        "discrete_columns": list(tt.discrete_columns_),
        "container": ser.encode_container(tt._container),
        "spans": ser.encode_spans(tt.output_spans_),
        "n_output_features": tt.n_output_features_,
        "n_features_in": tt.n_features_in_,
        "encoders": encoders,
    }


def _load_transformer(state: dict) -> TableTransformer:
    tt = TableTransformer(
        discrete_columns=state["discrete_columns"],
        max_exact_values=state.get("max_exact_values", 0),  # files from before it: none
        **state["params"],
    )
    tt._container = ser.decode_container(state["container"])
    tt.discrete_columns_ = state["discrete_columns"]
    tt.continuous_columns_ = [c for c in tt._container.columns if c not in tt.discrete_columns_]
    tt.output_spans_ = ser.decode_spans(state["spans"])
    tt.n_output_features_ = state["n_output_features"]
    tt.n_features_in_ = state["n_features_in"]
    tt.feature_names_in_ = np.asarray(tt._container.columns, dtype=object)
    tt._encoders, tt._numeric_info = {}, {}
    for name, enc in state["encoders"].items():
        if enc["kind"] == "discrete":
            tt._encoders[name] = ser.decode_discrete(enc)
        else:
            tt._encoders[name], tt._numeric_info[name] = ser.decode_continuous(enc)
    return tt


def save(model, path) -> None:
    """Save a fitted synthesizer to a single file that :func:`load` reads safely.

    Parameters
    ----------
    model : GANSynthesizer or VAESynthesizer
        A fitted synthesizer. Callbacks are not saved (a warning says so).
        Parameters set with ``set_params`` since the fit, which the fitted
        model does not use, are not saved (a warning names them): the file
        holds those it was fitted with.
    path : str, path-like or binary file object
        Destination file.

    Raises
    ------
    PersistenceError
        When the file would not load back (checked before anything is
        written), as for a model pickled by an older sksynth whose network
        parameters were changed after fit.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sksynth import VAESynthesizer, save, load
    >>> from sksynth.datasets import load_adult
    >>> X = load_adult().frame.iloc[:500, :5]
    >>> vae = VAESynthesizer(epochs=2, random_state=0).fit(X)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "vae.sksynth"
    >>> save(vae, path)
    >>> load(path).sample(2, random_state=0).equals(vae.sample(2, random_state=0))
    True
    """
    if type(model).__name__ not in _CLASSES:
        raise TypeError(f"save expects a GANSynthesizer or VAESynthesizer; got {type(model)!r}.")
    check_is_fitted(model)
    net = model.net_
    target = model._target
    mixture = getattr(model, "latent_mixture_", None)
    params = _params(model)
    plain = mixture is None and params.get("latent_mixture") is None
    state = {
        "format": FORMAT,
        "version": _version(model, plain),
        "class": type(model).__name__,
        "params": params,
        "fitted": {
            "n_features_in": model.n_features_in_,
            "device": str(model.device_),
            "feature_names_in": (
                list(model.feature_names_in_) if hasattr(model, "feature_names_in_") else None
            ),
            "discrete_columns": [ser.encode_value(c) for c in model.discrete_columns_],
            "container": ser.encode_container(model._container),
            "target": None
            if target is None
            else {
                "series": target["series"],
                "name": ser.encode_value(target["name"]),
                "dtype": ser.encode_dtype(target["dtype"]),
            },
            "classes": (
                [ser.encode_value(v) for v in model.classes_]
                if hasattr(model, "classes_")
                else None
            ),
            "classes_dtype": model.classes_.dtype.str if hasattr(model, "classes_") else None,
            "output_config": {
                key: value
                for key, value in getattr(model, "_sklearn_output_config", {}).items()
                if isinstance(value, str)
            },
            "class_probs": (
                None if model._class_probs is None else [float(p) for p in model._class_probs]
            ),
            "sample_rng": model._sample_rng.bit_generator.state,
            "transformer": _transformer_state(model.transformer_),
            "history": list(model.history_),
            "early_stopping": {
                "validation_scores": (
                    None
                    if model.validation_scores_ is None
                    else [float(v) for v in model.validation_scores_]
                ),
                "best_epoch": model.best_epoch_,
                "best_validation_score": model.best_validation_score_,
            },
            "latent_mixture": None if mixture is None else mixture_info(mixture),
        },
    }
    weights = {}
    for name in _MODULES:
        if hasattr(net, name):
            for key, tensor in getattr(net, name).state_dict().items():
                weights[f"{name}.{key}"] = tensor.detach().cpu()
    if mixture is not None:
        for key, tensor in mixture_state(mixture).items():
            weights[f"latent_mixture.{key}"] = tensor
    try:
        text = json.dumps(state, default=_json_value)
    except TypeError as exc:  # a callback's record in the history, say
        raise PersistenceError(
            f"cannot save this model: its state holds a value a file cannot hold ({exc}); "
            "the training history keeps what callbacks record: numbers, text, lists."
        ) from exc
    try:  # what load will do: a file it would refuse is never written
        _model_from(json.loads(text), weights, "cpu")
    except _DAMAGED as exc:
        raise PersistenceError(
            f"cannot save this model: the file would not load back ({type(exc).__name__}: "
            f"{exc}). Were its parameters changed after fit? Set them back, or refit."
        ) from exc
    buffer = io.BytesIO()
    torch.save(weights, buffer)
    # the whole file is made in memory first: a model that cannot be written leaves
    # whatever file was at ``path`` as it was
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sksynth.json", text)
        archive.writestr("weights.pt", buffer.getvalue())
    if isinstance(path, io.TextIOBase):
        raise TypeError(
            f"save needs a path or a file object opened in binary mode ('wb'); got "
            f"{_where(path)} opened in text mode."
        )
    if hasattr(path, "write"):  # an open binary file
        path.write(data.getvalue())
        return
    with replaced_on_success(path) as partial:
        partial.write_bytes(data.getvalue())


def _json_value(value):
    """A numpy or torch scalar (or array) in the history as the Python value JSON holds."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, torch.Tensor):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _where(path) -> str:
    """How error messages name ``path``: the path, or a file object's name if it has one."""
    if hasattr(path, "read"):
        name = getattr(path, "name", None)
        return repr(str(name)) if isinstance(name, (str, bytes)) else "the file object"
    return repr(str(path))


def _read(path) -> tuple[dict, dict]:
    if isinstance(path, io.TextIOBase):
        raise TypeError(
            f"load needs a path or a file object opened in binary mode ('rb'); got "
            f"{_where(path)} opened in text mode."
        )
    source = path if hasattr(path, "read") else Path(path)
    if hasattr(path, "read") and not (hasattr(path, "seekable") and path.seekable()):
        source = io.BytesIO(path.read())  # a pipe: zip files are read from their end
    elif isinstance(source, Path) and is_stream(source):  # /dev/stdin, a FIFO
        source = io.BytesIO(source.read_bytes())
    try:
        with zipfile.ZipFile(source) as archive:
            state = json.loads(archive.read("sksynth.json"))
            weights = torch.load(
                io.BytesIO(archive.read("weights.pt")), map_location="cpu", weights_only=True
            )
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PersistenceError(f"{_where(path)} is not a sksynth model file ({exc}).") from exc
    except OSError:  # no such file, a directory, no permission: said as it is
        raise
    except Exception as exc:  # torch's unpickler refuses anything but tensors
        # (torch's own message runs to several lines and suggests unsafe loading)
        raise PersistenceError(
            f"{_where(path)} holds unreadable weights: its weights.pt is no file of "
            f"tensors that torch reads safely ({type(exc).__name__})."
        ) from exc
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise PersistenceError(f"{_where(path)} is not a sksynth model file.")
    if not isinstance(state.get("version", 0), int):
        raise PersistenceError(f"{_where(path)} has no valid format version.")
    if state.get("version", 0) > VERSION:
        raise PersistenceError(
            f"{_where(path)} was written by a newer sksynth (format version "
            f"{state['version']}; this one reads up to {VERSION})."
        )
    if state.get("class") not in _CLASSES:
        raise PersistenceError(
            f"{_where(path)} holds an unknown model class {state.get('class')!r}."
        )
    return state, weights


def load(path):
    """Load a synthesizer written by :func:`save`; no code from the file is run.

    The model loads on the device it was fitted on (its ``device_``), so it
    draws the same rows there; where this machine lacks that GPU (CUDA or MPS),
    on the CPU (its ``device_`` is then ``"cpu"``).

    Parameters
    ----------
    path : str, path-like or binary file object
        A file written by :func:`save`; a file object (opened in binary mode)
        is read as a whole, so it must hold that one file.

    Returns
    -------
    model : GANSynthesizer or VAESynthesizer
        The fitted synthesizer.

    Raises
    ------
    PersistenceError
        For a corrupt, damaged, foreign or newer file.
    OSError
        For a file that cannot be opened (``FileNotFoundError`` when missing).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from sksynth import GANSynthesizer, load, save
    >>> from sksynth.datasets import load_adult
    >>> X = load_adult().frame.iloc[:300]
    >>> gan = GANSynthesizer(epochs=1, random_state=0).fit(X)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "gan.sksynth"
    >>> save(gan, path)
    >>> load(path).sample(3, random_state=1).equals(gan.sample(3, random_state=1))
    True
    """
    state, weights = _read(path)
    try:
        return _model_from(state, weights, _device_here(state))
    except _DAMAGED as exc:  # a field missing or of the wrong kind, weights of another shape
        raise PersistenceError(
            f"{_where(path)} is a damaged sksynth model file ({type(exc).__name__}: {exc})."
        ) from exc


def _device_here(state: dict) -> str:
    """The device a saved model loads on here: the one it was fitted on (its ``device``
    parameter in files from before that was recorded), or the CPU where this machine
    lacks that accelerator (a GPU-fitted model on a CPU-only machine)."""
    params, fitted = state.get("params"), state.get("fitted")
    device = fitted.get("device") if isinstance(fitted, dict) else None
    if device is None:
        device = params.get("device", "cpu") if isinstance(params, dict) else "cpu"
    try:
        return resolve_device(device)
    except ValueError:
        try:
            kind = torch.device(str(device)).type
        except (RuntimeError, TypeError):
            kind = None
        if kind in ("cuda", "mps"):
            return "cpu"
        raise


def _model_from(state: dict, weights: dict, device: str):
    """The synthesizer a file's ``state`` and ``weights`` describe, on ``device``."""
    params = dict(state["params"])
    if isinstance(params.get("discrete_columns"), list):  # before tuples are restored
        params["discrete_columns"] = [ser.decode_value(v) for v in params["discrete_columns"]]
    for key in params.pop("__tuples__", []):
        params[key] = tuple(params[key])
    model = _CLASSES[state["class"]](**params)
    model._fit_params = model.get_params(deep=False)
    fitted = state["fitted"]
    model.n_features_in_ = fitted["n_features_in"]
    if fitted["feature_names_in"] is not None:
        model.feature_names_in_ = np.asarray(fitted["feature_names_in"], dtype=object)
    model.discrete_columns_ = [ser.decode_value(c) for c in fitted["discrete_columns"]]
    model._container = ser.decode_container(fitted["container"])
    target = fitted["target"]
    model._target = None
    if target is not None:
        model._target = {
            "series": target["series"],
            "name": ser.decode_value(target["name"]),
            "dtype": ser.decode_dtype(target["dtype"]),
        }
    if fitted["classes"] is not None:
        dtype = fitted.get("classes_dtype")  # absent in files from before it was recorded
        values = [ser.decode_value(v) for v in fitted["classes"]]
        model.classes_ = np.asarray(values, dtype=None if dtype is None else np.dtype(dtype))
    if fitted.get("output_config"):  # set_output(transform="pandas")
        model._sklearn_output_config = dict(fitted["output_config"])
    probs = fitted.get("class_probs")  # absent in files from before conditional sampling
    model._class_probs = None if probs is None else np.asarray(probs, dtype=np.float64)
    model._sample_rng = np.random.default_rng()
    model._sample_rng.bit_generator.state = fitted["sample_rng"]
    model.transformer_ = _load_transformer(fitted["transformer"])
    _check_layout(model)
    model.device_ = device
    model.net_ = model._build_net(seed=0)
    model.net_.initialize()
    for name in _MODULES:
        if hasattr(model.net_, name):
            prefix = f"{name}."
            module_state = {k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)}
            getattr(model.net_, name).load_state_dict(module_state)
    model.net_.history_ = History(fitted["history"])
    model.history_ = model.net_.history_
    stopping = fitted.get("early_stopping") or {}  # absent in files from before it
    scores = stopping.get("validation_scores")
    model.validation_scores_ = None if scores is None else np.asarray(scores)
    model.best_epoch_ = stopping.get("best_epoch")
    model.best_validation_score_ = stopping.get("best_validation_score")
    info = fitted.get("latent_mixture")  # absent in version 1 files
    if isinstance(model, VAESynthesizer):
        model.latent_mixture_ = None if info is None else _load_mixture(weights, info, model)
    return model


def _check_layout(model) -> None:
    """Raise a ``ValueError`` unless a loaded model's parts agree: its columns, its
    transformer's columns (the target among them) and the transformer's encoders and
    output spans (an edited or damaged file that would sample wrong rows)."""
    n = model.n_features_in_
    names = getattr(model, "feature_names_in_", None)
    tt = model.transformer_
    expected = n + (model._target is not None)
    if (
        len(model._container.columns) != n
        or (names is not None and len(names) != n)
        or len(tt._container.columns) != expected
    ):
        raise ValueError(f"the model's columns disagree with n_features_in={n}.")
    if names is not None and list(model._container.columns) != list(names):
        raise ValueError("the model's columns disagree with its feature_names_in_.")
    if list(model._container.dtypes) != list(tt._container.dtypes[:n]):
        raise ValueError("the model's column dtypes disagree with its transformer's.")
    tt._check_encoders()
    _check_classes(model)


def _check_classes(model) -> None:
    """Raise a ``ValueError`` unless a loaded model's ``classes_``, its target's
    categories and its class probabilities agree."""
    classes, probs = getattr(model, "classes_", None), model._class_probs
    if classes is None:
        if probs is not None:
            raise ValueError("the model has class probabilities but no classes.")
        return
    encoder = model.transformer_._encoders.get(TARGET_COLUMN) if model._target is not None else None
    categories = getattr(encoder, "categories_", None)
    # files of early-stopped models from before 0.1's encoder saw every row may lack
    # classes only held-out rows held: sampling refuses those labels, as it did then
    if categories is None or not set(categories) <= set(classes.tolist()):
        raise ValueError(f"the classes {classes.tolist()} disagree with the target's encoding.")
    if probs is not None and (
        probs.shape != (len(categories),)
        or not np.isfinite(probs).all()
        or (probs < 0).any()
        or not np.isclose(probs.sum(), 1.0)
    ):
        raise ValueError(
            f"the class probabilities {probs.tolist()} do not fit the classes {classes.tolist()}."
        )


def _load_mixture(weights: dict, info: dict, model):
    prefix = "latent_mixture."
    arrays = {k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)}
    try:
        mixture = mixture_from_state(arrays, info)
        check_mixture(mixture, model.latent_dim)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(
            f"a broken latent mixture for latent_dim={model.latent_dim} ({exc})"
        ) from exc
    return mixture
