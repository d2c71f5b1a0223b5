"""A tiny random-weight causal LM folder, made here (never downloaded), for tests and benchmarks.

`write_tiny_lm(folder)` trains a byte-level BPE tokenizer on the A2UI catalog and examples, adds a
ChatML chat template, builds a 2-layer Llama or Qwen2 (hidden size 32) with random weights and saves
both with `save_pretrained` (safetensors) — a folder a user's model would look like.
"""
from __future__ import annotations

from pathlib import Path

from neuralos.resources import A2UI_SPEC

CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                 "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def _corpus() -> list[str]:
    texts = [p.read_text() for p in sorted((A2UI_SPEC / "catalogs" / "basic" / "examples").glob("*.json"))]
    texts.append((A2UI_SPEC / "catalogs" / "basic" / "catalog.json").read_text())
    from neuralos.planners.prompt import RULES, catalog_summary

    texts += [RULES, catalog_summary(), catalog_summary(terse=True)]
    return texts


def write_tiny_lm(folder: str | Path, arch: str = "llama", vocab_size: int = 1024, seed: int = 0,
                  max_positions: int = 8192) -> Path:
    """Write a tiny random causal LM + tokenizer to `folder` (created). `arch`: llama | qwen2."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_corpus(), trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                        bos_token=None, model_max_length=max_positions)
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(str(folder))

    torch.manual_seed(seed)
    common = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, vocab_size=len(tokenizer), max_position_embeddings=max_positions,
                  eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                  tie_word_embeddings=False)
    if arch == "llama":
        from transformers import LlamaConfig, LlamaForCausalLM

        model = LlamaForCausalLM(LlamaConfig(**common))
    elif arch == "qwen2":
        from transformers import Qwen2Config, Qwen2ForCausalLM

        model = Qwen2ForCausalLM(Qwen2Config(**common))
    else:
        raise ValueError(f"arch must be llama or qwen2, not {arch!r}")
    from neuralos.quiet import no_progress_bars

    with no_progress_bars():
        model.save_pretrained(str(folder), safe_serialization=True)
    return folder


class ScriptedSampler:
    """A `TransformersPlanner` sampler that writes the given answers (one per attempt) wherever the
    grammar allows the next scripted token, else the model's own best token.

    With a random model this measures the real pipeline — forward passes, grammar masks, streaming,
    dry runs — on an answer known to be valid (benchmarks), or scripts a bad first try (tests).
    """

    def __init__(self, tokenizer, *answers: str, delay: float = 0.0):
        self.ids = [tokenizer(a, add_special_tokens=False)["input_ids"] for a in answers]
        self.attempt = -1
        self.delay = delay

    def __call__(self, logits, step: int) -> int:
        import time

        import torch

        if step == 0:
            self.attempt += 1
        if self.delay:
            time.sleep(self.delay)
        seq = self.ids[min(self.attempt, len(self.ids) - 1)]
        if step < len(seq) and torch.isfinite(logits[seq[step]]):
            return seq[step]
        return int(torch.argmax(logits))


def answer_text(messages: list[dict]) -> str:
    """`messages` as constrained decoding writes them: schema key order, default separators."""
    import json

    from neuralos.planners.schema import canonical, constrained_schema

    return json.dumps(canonical(messages, constrained_schema()), ensure_ascii=False)
