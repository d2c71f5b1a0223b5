"""The `transformers` planner: any local causal-LM folder, decoding constrained to A2UI.

    planner = TransformersPlanner.from_folder("~/models/qwen2.5-0.5b-instruct")
    TransformersPlanner(model=model, tokenizer=tokenizer, name="qwen")   # already loaded

Loading is local and safe: `local_files_only`, never remote code, weights from safetensors only.
The prompt uses the tokenizer's chat template when it has one, else a plain prompt, and is shortened
(fewer examples, a terser catalog) to fit the model's context window.

Decoding is a plain KV-cached loop (so it streams, can be cancelled between tokens and is bounded
by `max_new_tokens`). With xgrammar installed, every token is masked by a grammar compiled from
`neuralos.planners.schema.constrained_schema()` — a JSON array of A2UI messages, one whitespace
style — so even a random model writes schema-shaped JSON; the answer is then validated and repaired
like any other (`neuralos.planners.llm`). Without xgrammar it decodes freely and relies on the repair.
"""
from __future__ import annotations

import inspect
import logging
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

from neuralos.errors import BadInput, first_line
from neuralos.planners.base import PlannerError, PlannerState
from neuralos.planners.llm import ChatPlanner
from neuralos.planners.prompt import LEVELS, build_chat, plain_prompt
from neuralos.quiet import no_progress_bars

log = logging.getLogger(__name__)

Sampler = Callable[["object", int], int]   # (masked logits [vocab], step) -> token id


def load_folder(path: str | Path, device: str = "cpu"):
    """(model, tokenizer) from a local causal-LM folder; `BadInput` naming the folder if unusable."""
    path = Path(path).expanduser()
    if not path.is_dir():
        raise BadInput("is not a folder", where=str(path))
    if not (path / "config.json").is_file():
        raise BadInput("has no config.json (not a transformers model folder)", where=str(path))
    if not any(path.glob("*.safetensors")):
        raise BadInput("has no .safetensors weights (other weight formats are never loaded)", where=str(path))
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    safe = {"local_files_only": True, "trust_remote_code": False}
    try:
        with no_progress_bars():
            config = AutoConfig.from_pretrained(str(path), **safe)
            tokenizer = AutoTokenizer.from_pretrained(str(path), **safe)
            model = AutoModelForCausalLM.from_pretrained(str(path), config=config, use_safetensors=True,
                                                         dtype=torch.float32 if device == "cpu" else "auto", **safe)
    except Exception as e:
        raise BadInput(f"cannot load the model: {first_line(e)}", where=str(path)) from None
    return model.to(device).eval(), tokenizer


class _Decoder:
    """Token ids -> text as it streams: only complete characters, and tokenizers that drop a leading
    space when decoding alone (SentencePiece) still come out right (the usual prefix-offset trick)."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.prefix = 0
        self.read = 0

    def push(self, token: int) -> str:
        self.ids.append(token)
        decode = self.tokenizer.decode
        before = decode(self.ids[self.prefix:self.read], skip_special_tokens=True)
        text = decode(self.ids[self.prefix:], skip_special_tokens=True)
        if len(text) > len(before) and not text.endswith("\ufffd"):
            self.prefix, self.read = self.read, len(self.ids)
            return text[len(before):]
        return ""


class TransformersPlanner(ChatPlanner):
    """A local causal LM as a planner. See the module docstring.

    Parameters (also accepted from a plugin manifest's `[parameters]`): `max_new_tokens`,
    `temperature` (0 = greedy), `top_p`, `retries`, `constrained`, `seed`, `device`,
    `max_prompt_tokens`.
    """

    name = "transformers"

    def __init__(self, folder: str | Path | None = None, *, model=None, tokenizer=None, name: str | None = None,
                 device: str = "cpu", max_new_tokens: int = 1536, temperature: float = 0.0, top_p: float = 1.0,
                 retries: int = 2, constrained: bool = True, seed: int = 0, max_prompt_tokens: int | None = None,
                 sampler: Sampler | None = None, builtin_apps: bool = True):
        if (folder is None) == (model is None):
            raise BadInput("give a model folder, or a loaded model and tokenizer", where="transformers planner")
        if not isinstance(max_new_tokens, int) or not 1 <= max_new_tokens <= 32768:
            raise BadInput(f"max_new_tokens must be an integer 1..32768, not {max_new_tokens!r}", where="parameters")
        if not (isinstance(temperature, (int, float)) and 0 <= temperature <= 5):
            raise BadInput(f"temperature must be a number 0..5, not {temperature!r}", where="parameters")
        if not (isinstance(top_p, (int, float)) and 0 < top_p <= 1):
            raise BadInput(f"top_p must be in (0, 1], not {top_p!r}", where="parameters")
        super().__init__(retries=retries, builtin_apps=builtin_apps,
                         name=name or (Path(folder).name if folder is not None else None))
        if folder is not None:
            model, tokenizer = load_folder(folder, device)
        if tokenizer is None:
            raise BadInput("a loaded model needs its tokenizer", where="transformers planner")
        self.model, self.tokenizer = model, tokenizer
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.temperature = float(temperature)
        self.top_p = float(top_p)
        self.seed = seed
        self.sampler = sampler
        self.constrained = constrained
        self.max_prompt_tokens = max_prompt_tokens
        self._grammar = None
        self._grammar_error = ""
        self._lock = threading.Lock()          # one generation at a time per model
        self.last_stats: dict = {}
        self.vocab_size = int(self.model.get_output_embeddings().weight.shape[0])
        # transformers 5 renamed the key/value cache argument `past_key_values` to `cache` (the old name goes in
        # 5.40); ask the model which one its forward takes
        self._cache_arg = "cache" if "cache" in inspect.signature(self.model.forward).parameters else \
            "past_key_values"

    @classmethod
    def from_folder(cls, folder: str | Path, **kwargs) -> "TransformersPlanner":
        return cls(folder, **kwargs)

    def describe(self) -> str:
        mode = "constrained" if self.constrained and self._xgrammar_ok() else "validated"
        return f"{self.name} (transformers, {self.device}, {mode})"

    # -- prompt ---------------------------------------------------------------------------------------
    def _context(self) -> int:
        cfg = self.model.config
        n = getattr(cfg, "max_position_embeddings", None) or getattr(self.tokenizer, "model_max_length", 4096)
        return min(int(n), 1 << 20)

    def _encode(self, chat: list[dict]) -> list[int]:
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            text = tok.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        else:
            text = plain_prompt(chat)
        return tok(text, add_special_tokens=not getattr(tok, "chat_template", None))["input_ids"]

    def _budget(self) -> int:
        limit = self._context() - self.max_new_tokens
        if self.max_prompt_tokens:
            limit = min(limit, self.max_prompt_tokens)
        return limit

    def _prompt_level(self, state: PlannerState, request) -> int:
        budget = self._budget()
        for level in range(LEVELS):
            n = len(self._encode(build_chat(state, request, level)))
            # leave room for one repair round (the answer and the error come back in the prompt)
            if n + min(self.max_new_tokens, 1024) // 2 <= budget or level == LEVELS - 1 and n <= budget:
                return level
        raise PlannerError(f"the prompt does not fit the {self.name} model's context of {self._context()} tokens "
                           f"with max_new_tokens={self.max_new_tokens}")

    # -- grammar --------------------------------------------------------------------------------------
    def _xgrammar_ok(self) -> bool:
        try:
            import xgrammar  # noqa: F401
            return True
        except ImportError:
            return False

    def grammar(self):
        """The compiled A2UI grammar for this tokenizer (None without xgrammar or when disabled)."""
        if not self.constrained:
            return None
        if self._grammar is None and not self._grammar_error:
            try:
                import xgrammar as xgr
            except ImportError:
                self._grammar_error = "xgrammar is not installed (pip install neuralos[llm]); decoding unconstrained"
                log.warning(self._grammar_error)
                return None
            from neuralos.planners.schema import constrained_schema

            info = xgr.TokenizerInfo.from_huggingface(self.tokenizer, vocab_size=self.vocab_size,
                                                      stop_token_ids=self._stop_ids() or None)
            compiler = xgr.GrammarCompiler(info)
            self._grammar = compiler.compile_json_schema(constrained_schema(), any_whitespace=False,
                                                         strict_mode=True)
        return self._grammar

    def _stop_ids(self) -> list[int]:
        ids: set[int] = set()
        for source in (getattr(self.model, "generation_config", None), self.model.config, self.tokenizer):
            eos = getattr(source, "eos_token_id", None)
            if isinstance(eos, int):
                ids.add(eos)
            elif isinstance(eos, (list, tuple)):
                ids |= {i for i in eos if isinstance(i, int)}
        for special in ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>"):
            tid = self.tokenizer.convert_tokens_to_ids(special) if special in self.tokenizer.get_vocab() else None
            if isinstance(tid, int):
                ids.add(tid)
        return sorted(i for i in ids if 0 <= i < self.vocab_size)

    # -- decoding -------------------------------------------------------------------------------------
    def _sample(self, logits, step: int, generator) -> int:
        import torch

        if self.sampler is not None:
            return int(self.sampler(logits, step))
        if self.temperature <= 0:
            return int(torch.argmax(logits).item())
        probs = torch.softmax(logits / self.temperature, dim=-1)
        if self.top_p < 1:
            sorted_p, order = torch.sort(probs, descending=True)
            keep = torch.cumsum(sorted_p, 0) - sorted_p < self.top_p
            probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_p[keep])
        return int(torch.multinomial(probs / probs.sum(), 1, generator=generator).item())

    def _generate(self, chat: list[dict], cancel: threading.Event | None) -> Iterator[str]:
        import torch

        if not self._lock.acquire(timeout=600):
            raise PlannerError(f"the {self.name} model is busy")
        try:
            yield from self._decode(chat, cancel, torch)
        finally:
            self._lock.release()

    def _decode(self, chat, cancel, torch) -> Iterator[str]:
        prompt = self._encode(chat)
        if len(prompt) + self.max_new_tokens > self._context():
            prompt = prompt[-(self._context() - self.max_new_tokens):]   # repair turns: keep the newest
        grammar = self.grammar()
        matcher = bitmask = None
        if grammar is not None:
            import xgrammar as xgr

            matcher = xgr.GrammarMatcher(grammar)
            bitmask = xgr.allocate_token_bitmask(1, self.vocab_size)
        stop = set(self._stop_ids())
        generator = torch.Generator().manual_seed(self.seed)
        decoder = _Decoder(self.tokenizer)
        device = next(self.model.parameters()).device
        ids = torch.tensor([prompt], device=device)
        past = None
        start = time.perf_counter()
        first = None
        n = 0
        stats = {"prompt_tokens": len(prompt), "new_tokens": 0, "finished": False}
        self.last_stats = stats
        with torch.inference_mode():
            for step in range(self.max_new_tokens):
                if cancel is not None and cancel.is_set():
                    return
                out = self.model(input_ids=ids, use_cache=True, **{self._cache_arg: past})
                past = getattr(out, self._cache_arg)
                logits = out.logits[0, -1, :].float()
                if not torch.isfinite(logits).any():
                    raise PlannerError(f"the {self.name} model produced no finite logits")
                if matcher is not None:
                    import xgrammar as xgr

                    matcher.fill_next_token_bitmask(bitmask)
                    masked = logits.unsqueeze(0).cpu()
                    xgr.apply_token_bitmask_inplace(masked, bitmask)
                    logits = masked[0]
                logits = torch.nan_to_num(logits, nan=float("-inf"))
                token = self._sample(logits, step, generator)
                if first is None:
                    first = time.perf_counter() - start
                if token in stop and (matcher is None or matcher.accept_token(token)):
                    stats["finished"] = True
                    break
                if matcher is not None and not matcher.accept_token(token):
                    raise PlannerError(f"the {self.name} model chose a token the A2UI grammar forbids")
                n += 1
                stats["new_tokens"] = n
                text = decoder.push(token)
                if text:
                    yield text
                if matcher is not None and matcher.is_terminated():
                    stats["finished"] = True
                    break
                ids = torch.tensor([[token]], device=device)
        elapsed = time.perf_counter() - start
        stats.update(seconds=elapsed, first_token_s=first, tokens_per_s=n / elapsed if elapsed > 0 else 0.0)

    # -- checks ---------------------------------------------------------------------------------------
    def verify(self) -> None:
        """Load check for `neuralos models verify`: a few constrained tokens with finite logits."""
        saved = self.max_new_tokens
        self.max_new_tokens = min(8, saved)
        try:
            chat = [{"role": "user", "content": "open a notes app"}]
            for _ in self._generate(chat, None):
                pass
        finally:
            self.max_new_tokens = saved

    def close(self) -> None:
        self.model = None
        self._grammar = None
