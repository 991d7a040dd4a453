#!/usr/bin/env python3
"""Writes the conformance fixtures of the weight importer: small random-weight ViTs in the parameter
layouts of timm's ``VisionTransformer`` and Hugging Face's ``ViTForImageClassification``, their
weights, configs, inputs, logits and per-layer head-averaged attention maps.

The two models are written in plain PyTorch with the module and parameter names of those libraries,
so that their state dicts have exactly the names, shapes and layouts the real ones have; neither
library is needed. Needs torch and numpy only (Debian: ``apt-get install python3-torch``).

Usage: python3 make_vit_fixtures.py OUT_DIR   (the tests read atpatch-djl/src/test/resources/import)
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

IMAGE, PATCH, CHANNELS, WIDTH, DEPTH, HEADS, MLP_RATIO, CLASSES, BATCH = 16, 4, 3, 32, 2, 4, 2.0, 5, 6
SEED = 27


# ----- timm layout (timm/models/vision_transformer.py names) -----

class TimmAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.num_heads = heads
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * (c // self.num_heads) ** -0.5
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(x), attn


class TimmMlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class TimmBlock(nn.Module):
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = TimmAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = TimmMlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        a, attn = self.attn(self.norm1(x))
        x = x + a
        return x + self.mlp(self.norm2(x)), attn


class TimmPatchEmbed(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(CHANNELS, WIDTH, kernel_size=PATCH, stride=PATCH)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class TimmVisionTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch_embed = TimmPatchEmbed()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, WIDTH))
        self.pos_embed = nn.Parameter(torch.zeros(1, (IMAGE // PATCH) ** 2 + 1, WIDTH))
        self.blocks = nn.Sequential(*[TimmBlock(WIDTH, HEADS, MLP_RATIO) for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(WIDTH, eps=1e-6)
        self.head = nn.Linear(WIDTH, CLASSES)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1) + self.pos_embed
        maps = []
        for blk in self.blocks:
            x, attn = blk(x)
            maps.append(attn.mean(dim=1))
        x = self.norm(x)
        return self.head(x[:, 0]), torch.stack(maps, dim=1)


# ----- Hugging Face layout (transformers/models/vit/modeling_vit.py names) -----

HF_EPS = 1e-12


class HfSelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = nn.Linear(WIDTH, WIDTH)
        self.key = nn.Linear(WIDTH, WIDTH)
        self.value = nn.Linear(WIDTH, WIDTH)

    def forward(self, x):
        b, n, _ = x.shape
        dh = WIDTH // HEADS

        def heads(t):
            return t.view(b, n, HEADS, dh).permute(0, 2, 1, 3)

        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        probs = (q @ k.transpose(-1, -2) / math.sqrt(dh)).softmax(dim=-1)
        return (probs @ v).permute(0, 2, 1, 3).reshape(b, n, WIDTH), probs


class HfDense(nn.Module):
    def __init__(self, fan_in, fan_out):
        super().__init__()
        self.dense = nn.Linear(fan_in, fan_out)


class HfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = HfSelfAttention()
        self.output = HfDense(WIDTH, WIDTH)


class HfLayer(nn.Module):
    def __init__(self):
        super().__init__()
        hidden = int(WIDTH * MLP_RATIO)
        self.attention = HfAttention()
        self.intermediate = HfDense(WIDTH, hidden)
        self.output = HfDense(hidden, WIDTH)
        self.layernorm_before = nn.LayerNorm(WIDTH, eps=HF_EPS)
        self.layernorm_after = nn.LayerNorm(WIDTH, eps=HF_EPS)

    def forward(self, h):
        context, probs = self.attention.attention(self.layernorm_before(h))
        h = self.attention.output.dense(context) + h
        inner = nn.functional.gelu(self.intermediate.dense(self.layernorm_after(h)))
        return self.output.dense(inner) + h, probs


class HfPatchEmbeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.projection = nn.Conv2d(CHANNELS, WIDTH, kernel_size=PATCH, stride=PATCH)


class HfEmbeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, WIDTH))
        self.patch_embeddings = HfPatchEmbeddings()
        self.position_embeddings = nn.Parameter(torch.zeros(1, (IMAGE // PATCH) ** 2 + 1, WIDTH))

    def forward(self, x):
        t = self.patch_embeddings.projection(x).flatten(2).transpose(1, 2)
        t = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), t), dim=1)
        return t + self.position_embeddings


class HfEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.ModuleList([HfLayer() for _ in range(DEPTH)])


class HfVitModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embeddings = HfEmbeddings()
        self.encoder = HfEncoder()
        self.layernorm = nn.LayerNorm(WIDTH, eps=HF_EPS)


class HfViTForImageClassification(nn.Module):
    def __init__(self):
        super().__init__()
        self.vit = HfVitModel()
        self.classifier = nn.Linear(WIDTH, CLASSES)

    def forward(self, x):
        h = self.vit.embeddings(x)
        maps = []
        for layer in self.vit.encoder.layer:
            h, probs = layer(h)
            maps.append(probs.mean(dim=1))
        h = self.vit.layernorm(h)
        return self.classifier(h[:, 0, :]), torch.stack(maps, dim=1)


HF_CONFIG = {
    "architectures": ["ViTForImageClassification"],
    "model_type": "vit",
    "hidden_size": WIDTH,
    "num_hidden_layers": DEPTH,
    "num_attention_heads": HEADS,
    "intermediate_size": int(WIDTH * MLP_RATIO),
    "hidden_act": "gelu",
    "layer_norm_eps": HF_EPS,
    "image_size": IMAGE,
    "patch_size": PATCH,
    "num_channels": CHANNELS,
    "qkv_bias": True,
    "id2label": {str(i): "class%d" % i for i in range(CLASSES)},
    "label2id": {"class%d" % i: i for i in range(CLASSES)},
}

TIMM_CONFIG = {
    "architecture": "vit_tiny_fixture",
    "num_classes": CLASSES,
    "num_features": WIDTH,
    "global_pool": "token",
    "model_args": {"img_size": IMAGE, "patch_size": PATCH, "in_chans": CHANNELS, "embed_dim": WIDTH,
                   "depth": DEPTH, "num_heads": HEADS, "mlp_ratio": MLP_RATIO},
    "pretrained_cfg": {"input_size": [CHANNELS, IMAGE, IMAGE]},
}


def randomise(model):
    """Every parameter drawn at random, LayerNorm scales around 1, so that a misplaced tensor shows."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and ("norm" in name) and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))


def write_safetensors(path, tensors):
    """The safetensors format by hand: u64 LE header length, JSON header, little-endian raw data."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(SEED)
    inputs = torch.randn(BATCH, CHANNELS, IMAGE, IMAGE)
    for name, model, config, npz in (("timm-vit", TimmVisionTransformer(), TIMM_CONFIG, True),
                                     ("hf-vit", HfViTForImageClassification(), HF_CONFIG, False)):
        randomise(model)
        model.eval()
        state = model.state_dict()
        write_safetensors(os.path.join(out, name + ".safetensors"), state)
        if npz:
            np.savez(os.path.join(out, name + ".npz"), **{k: v.numpy() for k, v in state.items()})
        with open(os.path.join(out, name + ".config.json"), "w") as f:
            json.dump(config, f, indent=2)
        with torch.no_grad():
            logits, attention = model(inputs)
        np.savez(os.path.join(out, name + ".expected.npz"), inputs=inputs.numpy(), logits=logits.numpy(),
                 attention=attention.numpy())
        print(name, "parameters:", sum(p.numel() for p in model.parameters()), "logits[0]:", logits[0].tolist())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
